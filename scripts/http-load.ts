/**
 * The bench's HTTP load generator, in a process of its own: autocannon measures latency on its own event
 * loop, and in the bench's process that loop shared a heap grown by the engine's phases, whose collections
 * showed up as server latency. Reads one JSON job from argv, prints autocannon's result as JSON.
 *
 * Job: { url, connections, seconds, warmupSeconds?, method?, headers?, body?, idempotencyKeys? }. With
 * idempotencyKeys every request carries a fresh Idempotency-Key, as a client posting new work does. The
 * warm-up runs first in the same process (its JIT warm too) and is left out of the result.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';

export interface LoadJob {
  url: string;
  connections: number;
  seconds: number;
  warmupSeconds?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  idempotencyKeys?: boolean;
}

async function run(job: LoadJob): Promise<autocannon.Result> {
  const request: autocannon.Request = { method: job.method ?? 'GET', headers: job.headers ?? {}, body: job.body };
  if (job.idempotencyKeys)
    request.setupRequest = (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } });
  // autocannon runs `warmup` before the measured run when called without a callback (its types lack it).
  const options: autocannon.Options & { warmup?: { connections: number; duration: number } } = {
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    requests: [request],
  };
  if (job.warmupSeconds) options.warmup = { connections: job.connections, duration: job.warmupSeconds };
  return autocannon(options);
}

const job = JSON.parse(process.argv[2] ?? '') as LoadJob;
run(job).then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
