import { serve } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { loadDashboardAssets } from '../../src/dashboard-assets.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../../scripts/lib/ports.js';
import type { ApiFixture } from './api.js';

/**
 * The app of a fixture served over HTTP, with the Node server's assets (the dashboard, htmx), and Debian's
 * headless Chromium driven by playwright-core: what the browser tests look at. Screenshots go to
 * test-results/.
 */
export async function servedInBrowser(
  api: ApiFixture,
): Promise<{ base: string; browser: Browser; close(): Promise<void> }> {
  const app = createApp({
    db: api.db.app,
    ledger: api.ledger,
    logger: createLogger('silent'),
    latestMigration: 1_000,
    dashboard: loadDashboardAssets(),
  });
  const port = await freePort();
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync('test-results', { recursive: true });
  return {
    base: `http://127.0.0.1:${port}`,
    browser,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}
