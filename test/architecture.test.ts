import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

/**
 * The layers (server/worker → http → pool → ledger → db), checked on every import of src/ and scripts/:
 * nothing imports a layer above its own, and a layer reaches the ones below only through what they offer.
 */
const LAYERS = ['db', 'ledger', 'pool', 'http', 'server'] as const;
type Layer = (typeof LAYERS)[number];

/** The layer of a file under src/; the few files beside the folders (config, logger, assets) serve every layer above db. */
function layerOf(file: string): Layer | 'shared' {
  const [top] = file.split('/');
  if (top === 'db' || top === 'ledger' || top === 'pool' || top === 'http') return top;
  if (file === 'server.ts' || file === 'worker.ts') return 'server';
  return 'shared';
}

/**
 * What a layer may import of a lower one, when not everything. The ledger is used through its index (its
 * writer, store and checks are its own); the HTTP layer uses the database for what belongs to the HTTP
 * contract itself: a request's transaction and its idempotency record, the readiness probe, and types.
 * The names of the SQLSTATE codes are the schema's contract like its types, read wherever an error is.
 */
const ENTRY_POINTS: Partial<Record<Layer, Partial<Record<Layer, string[]>>>> = {
  http: {
    ledger: ['ledger/index.ts'],
    db: [
      'db/client.ts',
      'db/schema.ts',
      'db/sqlstate.ts',
      'db/idempotency.ts',
      'db/request-transaction.ts',
      'db/health.ts',
    ],
  },
  pool: { ledger: ['ledger/index.ts'], db: ['db/schema.ts', 'db/sqlstate.ts'] },
};

const root = resolve(import.meta.dirname, '..');
function filesUnder(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => relative(root, join(d.parentPath, d.name)));
}
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(root, resolve(root, dirname(file), name)).replace(/\.js$/, '.ts'));
}

it("has no import running up the layers or around a layer's entry points", () => {
  const wrong: string[] = [];
  for (const file of filesUnder('src')) {
    const from = layerOf(relative('src', file));
    for (const target of importsOf(file)) {
      if (!target.startsWith('src/')) {
        wrong.push(`${file} imports ${target}, outside src/`);
        continue;
      }
      const inSrc = relative('src', target);
      const to = layerOf(inSrc);
      if (to === 'shared' || from === to) continue;
      if (from === 'shared') {
        wrong.push(`${file} (beside the layers) imports ${target}`);
        continue;
      }
      if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
        wrong.push(`${file} (${from}) imports ${target} (${to}), a layer above it`);
        continue;
      }
      const allowed = ENTRY_POINTS[from]?.[to];
      if (allowed && !allowed.includes(inSrc))
        wrong.push(`${file} (${from}) imports ${target}: ${to} is used through ${allowed.join(', ')}`);
    }
  }
  expect(wrong).toEqual([]);
});

it('keeps test code out of the scripts', () => {
  const wrong = filesUnder('scripts').flatMap((file) =>
    importsOf(file)
      .filter((t) => t.startsWith('test/'))
      .map((t) => `${file} imports ${t}`),
  );
  expect(wrong).toEqual([]);
});
