/**
 * `npm run import-tape -- <file> --pool <id> [--reports] [--mode all_or_nothing|accept_valid] [--url <base>]`
 *
 * Sends a bank's loan tape (or, with --reports, a tape of monthly reports) to a running server, streaming
 * the file with a progress bar, and prints the result: rows enrolled, unchanged and refused, with every
 * refused row's line and reason. The key comes from POOL_API_KEY (a bank's key). A .csv file goes as
 * text/csv, a .ndjson or .jsonl file as application/x-ndjson.
 *
 * Exit status: 0 when every row was taken (or was already there), 1 when rows were refused, 2 on a usage
 * error or when the server could not be reached or answered with another error.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';

export interface TapeImport {
  url: string;
  key: string;
  poolId: string;
  file: string;
  reports?: boolean;
  mode?: 'all_or_nothing' | 'accept_valid';
  idempotencyKey?: string;
  /** Bytes sent so far, as the upload goes. */
  onProgress?: (sent: number, total: number) => void;
}

export interface TapeAnswer {
  status: number;
  body: {
    mode?: string;
    rows?: number;
    accepted?: number;
    unchanged?: number;
    refused?: number;
    principal?: { amount: string; currency: string };
    detail?: string;
    title?: string;
    errors?: RowError[];
    row_errors?: RowError[];
  };
}
interface RowError {
  line: number;
  reference: string | null;
  field?: string;
  rule?: string;
  message: string;
}

export async function importTape(options: TapeImport): Promise<TapeAnswer> {
  const total = statSync(options.file).size;
  const contentType = /\.(nd)?jsonl?$|\.ndjson$/i.test(options.file)
    ? 'application/x-ndjson'
    : 'text/csv; charset=utf-8';
  let sent = 0;
  const counted = Readable.toWeb(createReadStream(options.file)).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        options.onProgress?.(sent, total);
        controller.enqueue(chunk);
      },
    }),
  );
  const path = options.reports ? 'loan-report-tapes' : 'loan-tapes';
  const res = await fetch(
    `${options.url.replace(/\/$/, '')}/v1/pools/${options.poolId}/${path}?mode=${options.mode ?? 'all_or_nothing'}`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.key}`,
        'content-type': contentType,
        'content-length': String(total),
        'idempotency-key': options.idempotencyKey ?? randomUUID(),
      },
      body: counted as ReadableStream,
      duplex: 'half',
    } as RequestInit,
  );
  const text = await res.text();
  let body: TapeAnswer['body'];
  try {
    body = JSON.parse(text) as TapeAnswer['body'];
  } catch {
    body = { detail: text };
  }
  return { status: res.status, body };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      pool: { type: 'string' },
      reports: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'all_or_nothing' },
      url: { type: 'string', default: process.env.POOL_API_URL ?? 'http://127.0.0.1:8787' },
      'idempotency-key': { type: 'string' },
    },
  });
  const key = process.env.POOL_API_KEY;
  const file = positionals[0];
  const usage =
    'usage: POOL_API_KEY=<bank key> npm run import-tape -- <file.csv|file.ndjson> --pool <id> [--reports] [--mode all_or_nothing|accept_valid] [--url http://127.0.0.1:8787]';
  if (!file || !values.pool || !key || (values.mode !== 'all_or_nothing' && values.mode !== 'accept_valid')) {
    console.error(usage);
    process.exit(2);
  }
  const bar = new cliProgress.SingleBar(
    { format: 'uploading |{bar}| {percentage}% | {value}/{total} KiB | {eta_formatted} left', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const size = statSync(file).size;
  bar.start(Math.ceil(size / 1024), 0);
  let answer: TapeAnswer;
  try {
    answer = await importTape({
      url: values.url!,
      key,
      poolId: values.pool,
      file,
      reports: values.reports,
      mode: values.mode,
      idempotencyKey: values['idempotency-key'],
      onProgress: (sent) => bar.update(Math.ceil(sent / 1024)),
    });
  } catch (err) {
    bar.stop();
    console.error(`import-tape: cannot reach ${values.url}: ${(err as Error).cause ?? (err as Error).message}`);
    process.exit(2);
  }
  bar.update(Math.ceil(size / 1024));
  bar.stop();

  const b = answer.body;
  const errors = b.errors ?? b.row_errors ?? [];
  if (answer.status !== 200 && answer.status !== 422) {
    console.error(`import-tape: HTTP ${answer.status}: ${b.detail ?? b.title ?? ''}`);
    process.exit(2);
  }
  if (b.rows === undefined) {
    console.error(`import-tape: HTTP ${answer.status}: ${b.detail ?? ''}`);
    process.exit(2);
  }
  const what = values.reports ? 'reports appended' : 'loans enrolled';
  console.log(
    answer.status === 200
      ? `${b.rows} rows: ${b.accepted} ${what}, ${b.unchanged} unchanged, ${b.refused} refused`
      : `refused: ${b.detail}`,
  );
  for (const e of errors)
    console.log(
      `  line ${e.line}${e.reference ? ` (${e.reference})` : ''}: ${e.field ?? e.rule ?? 'row'}: ${e.message}`,
    );
  process.exit(errors.length > 0 ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
