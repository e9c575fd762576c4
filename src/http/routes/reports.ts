import { createRoute, z } from '@hono/zod-openapi';
import { agreementsReport, cashByDay, claimsPipeline, incentivesByArticle } from '../../pool/reports.js';
import { todayInChina } from '../../pool/days.js';
import { poolPosition } from '../../pool/treasury.js';
import { csvDownload, recordsToCsv } from '../csv.js';
import { routeGroup } from '../route-group.js';
import { cny, Day, PoolParam } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

const REPORTS = ['position', 'agreements', 'claims', 'incentives', 'cash'] as const;

/** What each report is called on the file a finance office keeps. */
const REPORT_NAMES: Record<(typeof REPORTS)[number], string> = {
  position: '资金池头寸',
  agreements: '合作协议风险敞口',
  claims: '代偿申请进度',
  incentives: '奖补发放',
  cash: '资金池日余额',
};

/** A report row's money (bigint fen) as Money in JSON; a CSV cell keeps the fen digits. */
const moneyAsWire = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? cny(v) : v]));

export function reportRoutes() {
  const app = routeGroup();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/reports/{report}',
      tags: ['reports'],
      summary:
        'Treasury reports as rows (JSON with money as Money, or CSV in fen with format=csv): position (as_of), agreements (year: exposure against the line, loans by state, loss ratio against the suspension threshold), claims (pipeline by status with ages and overdue steps), incentives (paid by article; year optional), cash (pool cash by day, from/to)',
      request: {
        params: PoolParam.extend({ report: z.enum(REPORTS) }),
        query: z.object({
          format: z.enum(['json', 'csv']).default('json'),
          as_of: Day.optional(),
          from: Day.optional(),
          to: Day.optional(),
          year: z.coerce.number().int().min(2000).max(2200).optional(),
        }),
      },
      responses: {
        200: {
          description: 'The report',
          content: {
            ...json(z.object({ report: z.enum(REPORTS), rows: z.array(z.record(z.string(), z.unknown())) })),
            'text/csv': { schema: z.string() },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, report } = c.req.valid('param');
      const { db, ledger, principal, poolId } = caller(c, pool_id);
      const q = c.req.valid('query');
      const today = todayInChina();
      const year = q.year ?? Number(today.slice(0, 4));
      let rows: Record<string, unknown>[];
      switch (report) {
        case 'position': {
          const p = await poolPosition(ledger, principal, poolId, q.as_of);
          rows = [
            Object.fromEntries(
              Object.entries(p).map(([k, v]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), v]),
            ),
          ];
          break;
        }
        case 'agreements':
          rows = (await agreementsReport(db, principal, poolId, year)) as unknown as Record<string, unknown>[];
          break;
        case 'claims':
          rows = (await claimsPipeline(db, principal, poolId)) as unknown as Record<string, unknown>[];
          break;
        case 'incentives':
          rows = (await incentivesByArticle(db, principal, poolId, q.year)) as unknown as Record<string, unknown>[];
          break;
        case 'cash':
          rows = (await cashByDay(ledger, principal, poolId, q.from, q.to)) as unknown as Record<string, unknown>[];
          break;
      }
      if (q.format === 'csv') {
        const period = {
          position: q.as_of ?? today,
          agreements: String(year),
          claims: today,
          incentives: q.year === undefined ? null : String(q.year),
          cash: `${q.from ?? 'start'}_${q.to ?? today}`,
        }[report];
        return csvDownload(c, recordsToCsv(rows), {
          zh: `资金池${pool_id}-${REPORT_NAMES[report]}-${period ?? '全部年度'}`,
          ascii: `pool-${pool_id}-${report}-${period ?? 'all-years'}`,
        });
      }
      return c.json({ report, rows: rows.map(moneyAsWire) }, 200);
    },
  );
  return app;
}
