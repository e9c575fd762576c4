import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';

/**
 * src/db/schema.ts is written by hand, as Kysely types, which do not exist at run time. The test reads the
 * file with TypeScript's own parser instead: the types stay the only statement of the tables, with nothing
 * to keep in step beside them, and the parser sees interfaces as the compiler does, whatever the
 * formatting or comments.
 */
interface Column {
  nullable: boolean;
}
type Tables = Record<string, Record<string, Column>>;

async function declaredTables(): Promise<Tables> {
  const path = new URL('../../src/db/schema.ts', import.meta.url).pathname;
  const source = ts.createSourceFile(path, await readFile(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  const aliases = new Map<string, ts.TypeNode>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
    if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, node.type);
  });
  // Whether a column's type, as selected, admits null: `T | null`, the select type of `ColumnType<…>`, or
  // an alias of the file that does.
  const selectsNull = (type: ts.TypeNode): boolean => {
    if (ts.isUnionTypeNode(type)) return type.types.some(selectsNull);
    if (ts.isLiteralTypeNode(type)) return type.literal.kind === ts.SyntaxKind.NullKeyword;
    if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
      const name = type.typeName.text;
      if (name === 'ColumnType') return selectsNull(type.typeArguments![0]!);
      const alias = aliases.get(name);
      if (alias) return selectsNull(alias);
    }
    return false;
  };
  const properties = (node: ts.InterfaceDeclaration) =>
    node.members.filter(ts.isPropertySignature).map((m) => ({ name: (m.name as ts.Identifier).text, type: m.type! }));
  const tables: Tables = {};
  for (const { name, type } of properties(interfaces.get('Database')!)) {
    const table =
      ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) ? interfaces.get(type.typeName.text) : undefined;
    if (!table) throw new Error(`Database.${name} is not an interface declared in src/db/schema.ts`);
    tables[name] = Object.fromEntries(properties(table).map((p) => [p.name, { nullable: selectsNull(p.type) }]));
  }
  return tables;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase({ max: 1 });
});
afterAll(() => db.close());

it('src/db/schema.ts declares every table and column of the migrated database, nullable where it is', async () => {
  const rows = await db.owner<{ table: string; column: string; nullable: boolean; view: boolean }[]>`
    SELECT c.relname AS table, a.attname AS column, NOT a.attnotnull AS nullable, c.relkind = 'v' AS view
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v') AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`;
  const declared = await declaredTables();
  // A view needs no type until a query reads it through Kysely; a table always does.
  const inDatabase: Tables = {};
  for (const r of rows) {
    if (r.view && !(r.table in declared)) continue;
    (inDatabase[r.table] ??= {})[r.column] = { nullable: r.nullable };
  }
  expect(declared, 'src/db/schema.ts (Database) against the migrated database').toEqual(inDatabase);
});
