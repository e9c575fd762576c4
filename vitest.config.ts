import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser test needs Debian's chromium: `npm run test:browser`.
    exclude: [...configDefaults.exclude, 'test/browser/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file gets its own database; two workers keep both cores busy without starving PostgreSQL.
    maxWorkers: 2,
  },
});
