import type { Sql } from './client.js';

/**
 * The migrated schema as one picture (sql/schema.sql): roles' settings, privileges, types, sequences,
 * functions with their bodies, tables with their columns, constraints, indexes, triggers and grants, and
 * views, each kind in name order. It is read from the catalog rather than by pg_dump, which neither ships
 * with the embedded PostgreSQL nor dumps a server newer than itself.
 *
 * The text must be the same on every PostgreSQL the suite runs on (15 and 18): names are sorted bytewise,
 * never by the server's collation; owners, grantors and role logins are left out (they belong to the
 * installation, not the schema); NOT NULL is read from the columns, since PostgreSQL 18 also records it as
 * a constraint; and every object is named with its schema (search_path is empty while rendering), so the
 * server's own rendering of expressions, index and trigger definitions and function headers is used as is.
 */
export async function renderSchema(owner: Sql): Promise<string> {
  return owner.begin(async (tx) => {
    await tx`SET LOCAL search_path = ''`;
    const q = <T>(text: string) => tx.unsafe(text) as unknown as Promise<T[]>;
    await refuseUnrendered(q);
    const parts = [
      HEADER,
      section('Roles', await roles(q)),
      section('Database and schema', await databaseAndSchema(q)),
      section('Extensions', await extensions(q)),
      section('Types', await types(q)),
      section('Sequences', await sequences(q)),
      section('Functions', await functions(q)),
      section('Tables', await tables(q)),
      section('Views', await views(q)),
    ];
    return `${parts
      .filter((p) => p !== '')
      .join('\n\n')
      .trimEnd()}\n`;
  });
}

const HEADER = `-- The schema the migrations in sql/ build, as one picture. Generated from a database migrated from
-- nothing by \`npm run schema\` (src/db/schema-picture.ts); never edited by hand. A change to the schema is a
-- new migration: run \`npm run schema\` after adding it and commit both. Owners, grantors and role logins are
-- left out: they belong to an installation, not to the schema.`;

type Query = <T>(text: string) => Promise<T[]>;

const SCHEMA = 'public';
/** Bytewise order: the same on every server, whatever collation its databases were created with. */
const C = 'COLLATE "C"';

function section(title: string, blocks: string[]): string {
  if (blocks.length === 0) return '';
  return [`-- ${'='.repeat(100)}\n-- ${title}`, ...blocks].join('\n\n');
}

/** Objects this picture does not render yet: if a migration adds one, the picture says so instead of hiding it. */
async function refuseUnrendered(q: Query): Promise<void> {
  const [found] = await q<{ what: string | null }>(`
    SELECT coalesce(
      (SELECT 'schema ' || nspname FROM pg_catalog.pg_namespace
        WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' LIMIT 1),
      (SELECT 'policy ' || polname FROM pg_catalog.pg_policy LIMIT 1),
      (SELECT 'rule ' || rulename FROM pg_catalog.pg_rules WHERE schemaname = '${SCHEMA}' LIMIT 1),
      (SELECT 'comment on ' || classoid::regclass::text FROM pg_catalog.pg_description d
        WHERE d.classoid IN ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_type'::regclass)
          AND d.objoid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = '${SCHEMA}'::regnamespace
                           UNION ALL SELECT oid FROM pg_catalog.pg_proc WHERE pronamespace = '${SCHEMA}'::regnamespace
                           UNION ALL SELECT oid FROM pg_catalog.pg_type WHERE typnamespace = '${SCHEMA}'::regnamespace) LIMIT 1),
      (SELECT 'relation ' || relname || ' of kind ' || relkind::text FROM pg_catalog.pg_class
        WHERE relnamespace = '${SCHEMA}'::regnamespace AND relkind NOT IN ('r', 'i', 'S', 'v') LIMIT 1),
      (SELECT 'type ' || typname || ' of kind ' || typtype::text FROM pg_catalog.pg_type t
        WHERE typnamespace = '${SCHEMA}'::regnamespace AND typtype NOT IN ('e', 'd')
          AND NOT (typtype = 'c' AND EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c'))
          AND typelem = 0 LIMIT 1)
    ) AS what`);
  if (found?.what) throw new Error(`the schema picture does not render ${found.what}; extend src/db/schema-picture.ts`);
}

/** Privileges held on an object, other than its owner's: one GRANT per grantee. */
function grants(rows: Privilege[], on: string): string[] {
  const byGrantee = new Map<string, string[]>();
  for (const r of rows) byGrantee.set(r.grantee, [...(byGrantee.get(r.grantee) ?? []), r.privilege]);
  return [...byGrantee].map(([grantee, privileges]) => `GRANT ${privileges.join(', ')} ON ${on} TO ${grantee};`);
}

type Privilege = { grantee: string; privilege: string };

/**
 * The privileges on one object, other than its owner's: `acl` is its ACL column (NULL when never granted,
 * which means acldefault of `kind`), `owner` its owner's column, `from` and `where` find the object.
 */
function privilegesQuery(o: { from: string; where: string; acl: string; kind: string; owner: string }): string {
  return `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END AS grantee, a.privilege_type AS privilege
            FROM ${o.from}
            CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(${o.acl}, pg_catalog.acldefault(${o.kind}, ${o.owner}))) a
            LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
           WHERE ${o.where} AND a.grantee <> ${o.owner}
           ORDER BY (a.grantee = 0) DESC, r.rolname ${C}, a.privilege_type ${C}`;
}

async function roles(q: Query): Promise<string[]> {
  // The roles the schema grants to, with the settings they carry everywhere (ALTER ROLE … SET).
  const rows = await q<{ role: string; settings: string[] | null }>(`
    WITH grantees AS (
      SELECT (pg_catalog.aclexplode(relacl)).grantee FROM pg_catalog.pg_class WHERE relnamespace = '${SCHEMA}'::regnamespace AND relacl IS NOT NULL
      UNION SELECT (pg_catalog.aclexplode(proacl)).grantee FROM pg_catalog.pg_proc WHERE pronamespace = '${SCHEMA}'::regnamespace AND proacl IS NOT NULL
      UNION SELECT (pg_catalog.aclexplode(a.attacl)).grantee FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
             WHERE c.relnamespace = '${SCHEMA}'::regnamespace AND a.attacl IS NOT NULL
      UNION SELECT (pg_catalog.aclexplode(nspacl)).grantee FROM pg_catalog.pg_namespace WHERE nspname = '${SCHEMA}'
    )
    SELECT pg_catalog.quote_ident(r.rolname) AS role,
           (SELECT s.setconfig FROM pg_catalog.pg_db_role_setting s WHERE s.setrole = r.oid AND s.setdatabase = 0) AS settings
      FROM pg_catalog.pg_roles r
     WHERE r.oid IN (SELECT grantee FROM grantees) AND NOT r.rolsuper AND r.rolname <> 'pg_database_owner'
     ORDER BY r.rolname ${C}`);
  return rows.map(({ role, settings }) =>
    [
      `CREATE ROLE ${role};`,
      ...[...(settings ?? [])].sort().map((s) => {
        const eq = s.indexOf('=');
        return `ALTER ROLE ${role} SET ${s.slice(0, eq)} = ${s.slice(eq + 1)};`;
      }),
    ].join('\n'),
  );
}

async function databaseAndSchema(q: Query): Promise<string[]> {
  const database = await q<Privilege>(
    privilegesQuery({
      from: 'pg_catalog.pg_database d',
      where: 'd.datname = pg_catalog.current_database()',
      acl: 'd.datacl',
      kind: `'d'`,
      owner: 'd.datdba',
    }),
  );
  const schema = await q<Privilege>(
    privilegesQuery({
      from: 'pg_catalog.pg_namespace n',
      where: `n.nspname = '${SCHEMA}'`,
      acl: 'n.nspacl',
      kind: `'n'`,
      owner: 'n.nspowner',
    }),
  );
  return [
    [
      '-- The migrated database, whatever its name: PUBLIC holds only what is granted here.',
      ...grants(database, 'DATABASE :database'),
    ].join('\n'),
    grants(schema, `SCHEMA ${SCHEMA}`).join('\n'),
  ].filter((b) => b !== '');
}

async function extensions(q: Query): Promise<string[]> {
  const rows = await q<{ name: string }>(`
    SELECT pg_catalog.quote_ident(extname) AS name FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql' ORDER BY extname ${C}`);
  return rows.map((r) => `CREATE EXTENSION ${r.name};`);
}

async function types(q: Query): Promise<string[]> {
  const rows = await q<{ name: string; kind: string; labels: string[] | null; domain: string | null }>(`
    SELECT pg_catalog.format('%I.%I', '${SCHEMA}', t.typname) AS name, t.typtype AS kind,
           (SELECT pg_catalog.array_agg(pg_catalog.quote_literal(e.enumlabel) ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels,
           CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                  || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                  || coalesce((SELECT pg_catalog.string_agg(' CONSTRAINT ' || pg_catalog.quote_ident(c.conname) || ' ' || pg_catalog.pg_get_constraintdef(c.oid), '' ORDER BY c.conname ${C})
                                 FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c'), '') END AS domain
      FROM pg_catalog.pg_type t
     WHERE t.typnamespace = '${SCHEMA}'::regnamespace AND t.typtype IN ('e', 'd')
     ORDER BY t.typname ${C}`);
  return rows.map((t) =>
    t.kind === 'e'
      ? `CREATE TYPE ${t.name} AS ENUM (${[...(t.labels ?? [])].join(', ')});`
      : `CREATE DOMAIN ${t.name} AS ${t.domain};`,
  );
}

async function sequences(q: Query): Promise<string[]> {
  const rows = await q<{ oid: number; name: string; type: string; options: string; identity_of: string | null }>(`
    SELECT c.oid, pg_catalog.format('%I.%I', '${SCHEMA}', c.relname) AS name,
           pg_catalog.format_type(s.seqtypid, NULL) AS type,
           -- The options CREATE SEQUENCE … AS type would not give by itself.
           ''
             || CASE WHEN s.seqincrement <> 1 THEN ' INCREMENT ' || s.seqincrement ELSE '' END
             || CASE WHEN s.seqmin <> 1 THEN ' MINVALUE ' || s.seqmin ELSE '' END
             || CASE WHEN s.seqmax <> CASE s.seqtypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647 ELSE 9223372036854775807 END
                     THEN ' MAXVALUE ' || s.seqmax ELSE '' END
             || CASE WHEN s.seqstart <> s.seqmin THEN ' START ' || s.seqstart ELSE '' END
             || CASE WHEN s.seqcache <> 1 THEN ' CACHE ' || s.seqcache ELSE '' END
             || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END AS options,
           (SELECT pg_catalog.format('%I.%I', t.relname, a.attname)
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
              JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i') AS identity_of
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
     WHERE c.relnamespace = '${SCHEMA}'::regnamespace AND c.relkind = 'S'
     ORDER BY c.relname ${C}`);
  const blocks: string[] = [];
  for (const s of rows) {
    const head = s.identity_of
      ? `-- ${s.name} is the identity of ${s.identity_of}${s.options ? ` (${s.options.trim()})` : ''}.`
      : `CREATE SEQUENCE ${s.name} AS ${s.type}${s.options};`;
    blocks.push([head, ...grants(await relationGrants(q, s.oid), `SEQUENCE ${s.name}`)].join('\n'));
  }
  return blocks;
}

async function relationGrants(q: Query, oid: number): Promise<Privilege[]> {
  return q<Privilege>(
    privilegesQuery({
      from: 'pg_catalog.pg_class c',
      where: `c.oid = ${oid}`,
      acl: 'c.relacl',
      kind: `(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char"`,
      owner: 'c.relowner',
    }),
  );
}

async function functions(q: Query): Promise<string[]> {
  const rows = await q<{ oid: number; signature: string; definition: string }>(`
    SELECT p.oid, pg_catalog.format('%I.%I(%s)', '${SCHEMA}', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) AS signature,
           pg_catalog.pg_get_functiondef(p.oid) AS definition
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = '${SCHEMA}'::regnamespace
     ORDER BY p.proname ${C}, pg_catalog.pg_get_function_identity_arguments(p.oid) ${C}`);
  const blocks: string[] = [];
  for (const f of rows) {
    const privileges = await q<Privilege>(
      privilegesQuery({
        from: 'pg_catalog.pg_proc p',
        where: `p.oid = ${f.oid}`,
        acl: 'p.proacl',
        kind: `'f'`,
        owner: 'p.proowner',
      }),
    );
    const grantLines = grants(privileges, `FUNCTION ${f.signature}`);
    blocks.push(
      [
        `${f.definition.trimEnd()};`,
        ...(grantLines.length ? grantLines : [`-- No one but its owner may call ${f.signature}.`]),
      ].join('\n'),
    );
  }
  return blocks;
}

async function tables(q: Query): Promise<string[]> {
  const rows = await q<{ oid: number; name: string; options: string[] | null; rls: boolean }>(`
    SELECT c.oid, pg_catalog.format('%I.%I', '${SCHEMA}', c.relname) AS name, c.reloptions AS options, c.relrowsecurity AS rls
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = '${SCHEMA}'::regnamespace AND c.relkind = 'r'
     ORDER BY c.relname ${C}`);
  const blocks: string[] = [];
  for (const t of rows) blocks.push(await table(q, t));
  return blocks;
}

async function table(
  q: Query,
  t: { oid: number; name: string; options: string[] | null; rls: boolean },
): Promise<string> {
  const columns = await q<{ line: string }>(`
    SELECT pg_catalog.format('%I %s', a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod))
           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
           || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
           || CASE WHEN a.attgenerated <> '' THEN ' GENERATED ALWAYS AS (' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) || ')'
                                               || CASE a.attgenerated WHEN 's' THEN ' STORED' ELSE ' VIRTUAL' END
                   WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) ELSE '' END AS line
      FROM pg_catalog.pg_attribute a
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = ${t.oid} AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`);
  // Not-null constraints (contype 'n', PostgreSQL 18) are the columns' NOT NULL above.
  const constraints = await q<{ line: string }>(`
    SELECT pg_catalog.format('CONSTRAINT %I %s', c.conname, pg_catalog.pg_get_constraintdef(c.oid)) AS line
      FROM pg_catalog.pg_constraint c
     WHERE c.conrelid = ${t.oid} AND c.contype IN ('c', 'f', 'p', 'u', 'x')
     ORDER BY c.conname ${C}`);
  // Indexes that back a constraint are the constraint above.
  const indexes = await q<{ line: string }>(`
    SELECT pg_catalog.pg_get_indexdef(i.indexrelid) || ';' AS line
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid
     WHERE i.indrelid = ${t.oid} AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
     ORDER BY x.relname ${C}`);
  // Internal triggers are those of foreign keys, which the constraints above already say.
  const triggers = await q<{ line: string; enabled: string; name: string }>(`
    SELECT pg_catalog.pg_get_triggerdef(g.oid) || ';' AS line, g.tgenabled AS enabled, pg_catalog.quote_ident(g.tgname) AS name
      FROM pg_catalog.pg_trigger g
     WHERE g.tgrelid = ${t.oid} AND NOT g.tgisinternal
     ORDER BY g.tgname ${C}`);
  const columnGrants = await q<{ grantee: string; privilege: string; columns: string }>(`
    SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END AS grantee, x.privilege_type AS privilege,
           pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) AS columns
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
      CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) x
      LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
     WHERE a.attrelid = ${t.oid} AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL AND x.grantee <> c.relowner
     GROUP BY x.grantee, r.rolname, x.privilege_type
     ORDER BY (x.grantee = 0) DESC, r.rolname ${C}, x.privilege_type ${C}`);
  const body = [...columns, ...constraints].map((r) => `  ${r.line}`).join(',\n');
  const options = t.options?.length ? ` WITH (${[...t.options].sort().join(', ')})` : '';
  return [
    `CREATE TABLE ${t.name} (\n${body}\n)${options};`,
    ...(t.rls ? [`ALTER TABLE ${t.name} ENABLE ROW LEVEL SECURITY;`] : []),
    ...indexes.map((r) => r.line),
    ...triggers.flatMap((r) => [
      r.line,
      ...(r.enabled === 'O'
        ? []
        : [
            `ALTER TABLE ${t.name} ${r.enabled === 'D' ? 'DISABLE' : `ENABLE ${r.enabled === 'A' ? 'ALWAYS' : 'REPLICA'}`} TRIGGER ${r.name};`,
          ]),
    ]),
    ...grants(await relationGrants(q, t.oid), `TABLE ${t.name}`),
    ...columnGrants.map((r) => `GRANT ${r.privilege} (${r.columns}) ON TABLE ${t.name} TO ${r.grantee};`),
  ].join('\n');
}

async function views(q: Query): Promise<string[]> {
  const rows = await q<{ oid: number; name: string; definition: string }>(`
    SELECT c.oid, pg_catalog.format('%I.%I', '${SCHEMA}', c.relname) AS name, pg_catalog.pg_get_viewdef(c.oid, true) AS definition
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = '${SCHEMA}'::regnamespace AND c.relkind = 'v'
     ORDER BY c.relname ${C}`);
  const blocks: string[] = [];
  for (const v of rows) {
    blocks.push(
      [
        `CREATE VIEW ${v.name} AS\n${v.definition.trimEnd().replace(/;$/, '')};`,
        ...grants(await relationGrants(q, v.oid), `TABLE ${v.name}`),
      ].join('\n'),
    );
  }
  return blocks;
}
