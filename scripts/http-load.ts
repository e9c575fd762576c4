/**
 * The bench's HTTP load generator, in a process of its own: autocannon measures latency on its own event
 * loop, and in the bench's process that loop shared a heap grown by the engine's phases, whose collections
 * showed up as server latency. Reads one JSON job from argv, prints autocannon's result as JSON.
 *
 * Job: { url, connections, seconds, method?, headers?, body?, idempotencyKeys? } — with idempotencyKeys,
 * every request carries a fresh Idempotency-Key, as a client posting new work does.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';

export interface LoadJob {
  url: string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  idempotencyKeys?: boolean;
}

function run(job: LoadJob): Promise<autocannon.Result> {
  const request: autocannon.Request = { method: job.method ?? 'GET', headers: job.headers ?? {}, body: job.body };
  if (job.idempotencyKeys) request.setupRequest = (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } });
  return new Promise((resolve, reject) =>
    autocannon({ url: job.url, connections: job.connections, duration: job.seconds, requests: [request] }, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

const job = JSON.parse(process.argv[2] ?? '') as LoadJob;
run(job).then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
