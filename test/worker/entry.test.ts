import { expect, it } from 'vitest';
import worker, { loggerFor } from '../../src/worker.js';

/** The Worker's entry point, called as workerd calls it: what it answers without its binding, and its log level. */
const ctx = { waitUntil: () => {} };

it('answers problem+json naming the missing HYPERDRIVE binding, not a plain-text 500', async () => {
  const res = await worker.fetch(new Request('http://worker/v1/pools'), {} as never, ctx);
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as { type: string; detail: string; instance: string };
  expect(body.type).toMatch(/\/unavailable$/);
  expect(body.detail).toContain('HYPERDRIVE');
  expect(body.instance).toBe('/v1/pools');
});

it('logs at the level the LOG_LEVEL binding names, info when it names none it knows', () => {
  expect(loggerFor('debug').level).toBe('debug');
  expect(loggerFor('warn').level).toBe('warn');
  expect(loggerFor(undefined).level).toBe('info');
  expect(loggerFor('loud').level).toBe('info');
});
