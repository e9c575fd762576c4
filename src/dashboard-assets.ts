import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The dashboard page, its charts' script, Chart.js and htmx (from their npm packages), read once by the Node server. */
export function loadDashboardAssets(): { html: string; chartJs: string; chartsJs: string; htmx: string } {
  const require = createRequire(import.meta.url);
  return {
    html: readFileSync(new URL('./http/dashboard.html', import.meta.url), 'utf8'),
    chartsJs: readFileSync(new URL('./http/dashboard-charts.js', import.meta.url), 'utf8'),
    // The UMD build sits beside the package's main file (the package does not export it as a subpath).
    chartJs: readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8'),
    htmx: readFileSync(join(dirname(require.resolve('htmx.org')), 'htmx.min.js'), 'utf8'),
  };
}
