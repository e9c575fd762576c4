import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';
import { problem } from '../problem.js';

const MAX_BODY_BYTES = 1024 * 1024;
/** Loan tapes carry up to 100,000 rows; bank statements come as whole files too. */
const MAX_TAPE_BYTES = 64 * 1024 * 1024;
const TAPE_PATH = /^\/v1\/pools\/[^/]+\/(loan(-report)?-tapes|bank-statements)$/;
/** The charsets whose bytes are UTF-8 (ASCII is a subset); a body declared in any other is not read. */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * Every request body, read once before anything looks at it: bounded (1 MiB; a tape or a statement 64 MiB),
 * and decoded strictly as UTF-8, so a byte that is not UTF-8 (a GBK export sent as is) is refused with its
 * line and offset instead of becoming U+FFFD in what is stored. The text is then what the validators and
 * handlers read (`c.req.text()`, `c.req.json()`).
 *
 * A body refused for its size is not read to its end, so the 413 closes the connection (`Connection:
 * close`): whatever the client still sends would otherwise be read, however long, before its next request.
 */
export const readBody = createMiddleware<AppEnv>(async function readBody(c, next) {
  // A declared length is checked from the header: the HTTP parser delivers no more than it declares.
  const length = c.req.header('content-length');
  if (length !== undefined && !/^\d+$/.test(length)) {
    return problem(c, 'validation', {
      detail: 'Content-Length must be a number of bytes',
      errors: [{ path: 'header.Content-Length', message: 'invalid' }],
    });
  }
  // A GET's body is never read: building its stream alone would cost a tenth of the server's time.
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
  const maxSize = TAPE_PATH.test(c.req.path) ? MAX_TAPE_BYTES : MAX_BODY_BYTES;
  // Without a declared length (chunked, or a body handed to app.request) the body is counted as it streams.
  const streamed = length === undefined || c.req.header('transfer-encoding') !== undefined;
  if (!streamed && Number(length) > maxSize) return tooLarge(c, maxSize);
  const charset = charsetOf(c.req.header('content-type'));
  if (charset !== null && !UTF8_CHARSETS.has(charset)) {
    return problem(c, 'unsupported-media-type', {
      detail: `bodies are read as UTF-8; this one is declared ${charset}`,
      errors: [{ path: 'header.Content-Type', message: 'charset' }],
    });
  }
  if (!streamed && Number(length) === 0) return next();

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const chunks: Uint8Array[] = [];
  let text: string;
  try {
    if (streamed) {
      const body = c.req.raw.body;
      if (!body) return next();
      const reader = body.getReader();
      const parts: string[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxSize) return tooLarge(c, maxSize);
        chunks.push(value);
        parts.push(decoder.decode(value, { stream: true }));
      }
      parts.push(decoder.decode());
      text = parts.join('');
    } else {
      const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
      chunks.push(bytes);
      text = decoder.decode(bytes);
    }
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return notUtf8(c, concat(chunks));
  }
  // hono keeps a body it has read as a promise under its kind; its validators and c.req.text() take it there.
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  return next();
});

function tooLarge(c: Context, maxSize: number): Response {
  return problem(c, 'payload-too-large', {
    detail: `bodies are limited to ${maxSize} bytes`,
    headers: { connection: 'close' },
  });
}

function notUtf8(c: Context, bytes: Uint8Array): Response {
  const offset = firstInvalidUtf8(bytes);
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  const found =
    offset < bytes.length ? `byte 0x${bytes[offset]!.toString(16).padStart(2, '0')}` : 'a character cut off at the end';
  return problem(c, 'validation', {
    detail: `the body is not UTF-8: ${found} at line ${line} (offset ${offset}); send it encoded as UTF-8 (convert a GBK or GB18030 export first)`,
    errors: [{ path: 'body', message: 'not UTF-8' }],
    extra: { details: { line, offset } },
  });
}

/** The charset parameter of a Content-Type, lower case, or null when it has none. */
function charsetOf(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}

/**
 * The offset of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or of a sequence cut off by the end; `bytes.length` if there is none.
 * Only run to report a body the strict decoder refused.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // The sequence length, and the range its second byte must fall in (the table of RFC 3629, section 4).
    let n: number,
      lo = 0x80,
      hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k < n; k++) {
      const next = bytes[i + k];
      if (next === undefined) return i;
      if (k === 1 ? next < lo || next > hi : next < 0x80 || next > 0xbf) return i;
    }
    i += n;
  }
  return bytes.length;
}
