import { connect, type Socket } from 'node:net';
import { Agent, request } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../support/api.js';

/**
 * A body refused for its size is not read to its end, so what follows it on the connection is not a
 * request: the 413 closes the connection, and a keep-alive client's next request goes out on a new one.
 */
let api: ApiFixture;
let server: ServerType;
let port: number;

beforeAll(async () => {
  api = await apiFixture();
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await api.close();
});

const CHUNK = 'x'.repeat(256 * 1024);

it('answers a chunked body over the limit with 413 and Connection: close, and closes the connection', async () => {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(
    `POST /v1/pools HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.adminKey}\r\nIdempotency-Key: big-${Date.now()}\r\n` +
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n',
  );
  const chunk = `${CHUNK.length.toString(16)}\r\n${CHUNK}\r\n`;
  // Five chunks of 256 KiB, past the 1 MiB a JSON body may have, and the body never ends: a server that
  // went on reading it would keep the connection open for as long as the client cares to send.
  for (let i = 0; i < 5 && !socket.destroyed; i++) await new Promise((r) => socket.write(chunk, () => r(undefined)));
  const outcome = await Promise.race([
    closed.then(() => 'closed'),
    new Promise((r) => setTimeout(() => r('still open'), 3000)),
  ]);
  socket.destroy();
  expect(received).toMatch(/^HTTP\/1\.1 413 /);
  expect(received.toLowerCase()).toContain('connection: close');
  expect(received).toContain('payload-too-large');
  expect(outcome).toBe('closed');
});

it("a keep-alive client's next request after a 413 is answered", async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, path: string, chunks: string[], headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: { authorization: `Bearer ${api.adminKey}`, ...headers },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
        },
      );
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
  const big = await send('POST', '/v1/pools', [CHUNK, CHUNK, CHUNK, CHUNK, CHUNK], {
    'content-type': 'application/json',
    'idempotency-key': `big-agent-${Date.now()}`,
  }).catch((err: Error) => ({ status: 0, body: err.message, connection: undefined }));
  expect(big.status, big.body).toBe(413);
  expect(big.connection).toBe('close');
  for (let i = 0; i < 3; i++) {
    const next = await send('POST', '/v1/pools', [JSON.stringify({ name: `after ${i}` })], {
      'content-type': 'application/json',
      'idempotency-key': `after-${i}-${Date.now()}`,
    });
    expect(next.status, next.body).toBe(201);
  }
  // A declared length over the limit closes the connection too: its body is not read either.
  const declared = await send('POST', '/v1/pools', ['{}'], {
    'content-type': 'application/json',
    'content-length': String(2 * 1024 * 1024),
    'idempotency-key': `declared-${Date.now()}`,
  }).catch((err: Error) => ({ status: 0, body: err.message, connection: undefined }));
  expect(declared.status, declared.body).toBe(413);
  expect(declared.connection).toBe('close');
  const health = await send('GET', '/healthz', []);
  expect(health.status).toBe(200);
  agent.destroy();
});
