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
/** The charsets of Chinese exports, all read with the GB18030 decoder (GBK's, per the Encoding Standard). */
const GB_CHARSETS = new Set(['gb18030', 'gbk', 'gb2312', 'x-gbk', 'cp936']);
/** The response header that names the charset a file was read in, when it was not UTF-8. */
export const BODY_CHARSET_HEADER = 'x-body-charset';

/**
 * Every request body, read once before anything looks at it: bounded (1 MiB; a tape or a statement 64 MiB),
 * and decoded strictly, so a byte the charset does not have is refused with its line and offset instead of
 * becoming U+FFFD in what is stored. The text is then what the validators and handlers read
 * (`c.req.text()`, `c.req.json()`).
 *
 * A body is UTF-8. A file (a tape, a statement) may also be GB18030/GBK, as Chinese banks' and finance
 * offices' exports are: declared (`charset=GBK`), or found when the file is not UTF-8 and reads as GB18030
 * without a fault. A file that is mostly UTF-8 with a few bad bytes is damaged UTF-8, not GBK, and is
 * refused. A file read as GB18030 is answered with `X-Body-Charset: gb18030` (`; assumed` when it was not
 * declared), so whoever sent it sees how it was read.
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
  const file = TAPE_PATH.test(c.req.path);
  const maxSize = file ? MAX_TAPE_BYTES : MAX_BODY_BYTES;
  // Without a declared length (chunked, or a body handed to app.request) the body is counted as it streams.
  const streamed = length === undefined || c.req.header('transfer-encoding') !== undefined;
  if (!streamed && Number(length) > maxSize) return tooLarge(c, maxSize);
  const charset = charsetOf(c.req.header('content-type'));
  const gb = charset !== null && GB_CHARSETS.has(charset);
  if (charset !== null && !UTF8_CHARSETS.has(charset) && !(file && gb)) {
    return problem(c, 'unsupported-media-type', {
      detail: file
        ? `files are read as UTF-8 or GB18030 (GBK); this one is declared ${charset}`
        : `bodies are read as UTF-8; this one is declared ${charset}`,
      errors: [{ path: 'header.Content-Type', message: 'charset' }],
    });
  }
  if (!streamed && Number(length) === 0) return next();

  let bytes: Uint8Array;
  if (streamed) {
    const body = c.req.raw.body;
    if (!body) return next();
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxSize) return tooLarge(c, maxSize);
      chunks.push(value);
    }
    bytes = concat(chunks);
  } else bytes = new Uint8Array(await c.req.raw.arrayBuffer());

  let text: string | null = gb ? decodeStrictly('gb18030', bytes) : decodeStrictly('utf-8', bytes);
  let read = gb ? 'gb18030' : 'utf-8';
  if (text === null && file && !gb && !mostlyUtf8(bytes)) {
    text = decodeStrictly('gb18030', bytes);
    read = 'gb18030; assumed';
  }
  if (text === null)
    return gb ? notGb18030(c) : notUtf8(c, bytes, !file ? 'body' : mostlyUtf8(bytes) ? 'damaged' : 'neither');
  // hono keeps a body it has read as a promise under its kind; its validators and c.req.text() take it there.
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  await next();
  if (read !== 'utf-8') c.res.headers.set(BODY_CHARSET_HEADER, read);
});

/** The bytes as text in `encoding`, or null when a byte does not belong (or the runtime lacks the decoder). */
function decodeStrictly(encoding: 'utf-8' | 'gb18030', bytes: Uint8Array): string | null {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    return null;
  }
  try {
    return decoder.decode(bytes);
  } catch (err) {
    if (err instanceof TypeError) return null;
    throw err;
  }
}

/**
 * Whether bytes that are not UTF-8 are UTF-8 all the same, damaged in places: at least as many of their
 * non-ASCII sequences are well-formed UTF-8 as are not. Chinese text in GBK forms a well-formed UTF-8
 * sequence by chance about one character in seven, so a GBK file falls far short of that.
 */
export function mostlyUtf8(bytes: Uint8Array): boolean {
  let good = 0;
  let bad = 0;
  for (let i = 0; i < bytes.length;) {
    if (bytes[i]! < 0x80) {
      i++;
      continue;
    }
    const n = utf8SequenceAt(bytes, i);
    if (n === 0) {
      bad++;
      i++;
    } else {
      good++;
      i += n;
    }
  }
  return good >= bad;
}

function notGb18030(c: Context): Response {
  return problem(c, 'validation', {
    detail: 'the file is declared GB18030/GBK but is not: send it as UTF-8 or in the charset it is in',
    errors: [{ path: 'body', message: 'not GB18030' }],
  });
}

function tooLarge(c: Context, maxSize: number): Response {
  return problem(c, 'payload-too-large', {
    detail: `bodies are limited to ${maxSize} bytes`,
    headers: { connection: 'close' },
  });
}

/** A body that is not UTF-8; a file that is UTF-8 with bad bytes (`damaged`), or not GB18030 either (`neither`). */
function notUtf8(c: Context, bytes: Uint8Array, what: 'body' | 'damaged' | 'neither'): Response {
  const offset = firstInvalidUtf8(bytes);
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  const found =
    offset < bytes.length ? `byte 0x${bytes[offset]!.toString(16).padStart(2, '0')}` : 'a character cut off at the end';
  return problem(c, 'validation', {
    detail: {
      body: `the body is not UTF-8: ${found} at line ${line} (offset ${offset}); send it encoded as UTF-8 (convert a GBK or GB18030 export first)`,
      damaged: `the file is UTF-8 but for ${found} at line ${line} (offset ${offset}): it is damaged, or mixes two charsets; send it again as exported`,
      neither: `the file is neither UTF-8 (${found} at line ${line}, offset ${offset}) nor GB18030 (GBK); send it in one of them`,
    }[what],
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
    const n = bytes[i]! < 0x80 ? 1 : utf8SequenceAt(bytes, i);
    if (n === 0) return i;
    i += n;
  }
  return bytes.length;
}

/** The length of the well-formed UTF-8 sequence that starts at `i` (a byte of 0x80 or more), or 0 if none does. */
function utf8SequenceAt(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
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
  } else return 0;
  for (let k = 1; k < n; k++) {
    const next = bytes[i + k];
    if (next === undefined) return 0;
    if (k === 1 ? next < lo || next > hi : next < 0x80 || next > 0xbf) return 0;
  }
  return n;
}
