/** The bench's load loop, shared by the ledger's phases and the references measured beside them. */

/** Seconds each timed phase runs before it counts: the JIT compiles and PostgreSQL fills its caches. */
export const WARMUP_SECONDS = 1;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `callers` loops, each sending one request (or batch) at a time until the time is up; `send` returns how
 * many units (transfers, rows) it completed. The first second is a warm-up that is not counted (the HTTP
 * phase's load generator warms up too): what is measured is the steady state.
 */
export async function drive(callers: number, seconds: number, send: (caller: number, i: number) => Promise<number>) {
  const latencies: number[] = [];
  let done = 0;
  const started = performance.now();
  const counting = started + WARMUP_SECONDS * 1000;
  const until = counting + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; performance.now() < until; i++) {
        const t0 = performance.now();
        const n = await send(caller, i);
        const t1 = performance.now();
        // What completes inside the counted window, however long ago it was sent.
        if (t1 < counting || t1 > until) continue;
        done += n;
        latencies.push(t1 - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { perSecond: done / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
