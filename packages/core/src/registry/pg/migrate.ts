import type { ClientBase } from 'pg'
import { ErrorCode, MlciError } from '../../errors.js'
import { LATEST_SCHEMA, MIGRATIONS } from './migrations.js'

/** Serialises migrators across runners (any constant works; this one spells "mlci"). */
const MIGRATION_LOCK = 0x6d6c6369

export interface MigrationReport {
  from: number
  to: number
  applied: { version: number; description: string }[]
}

/** The schema version in the database: 0 when mlci's tables do not exist yet. */
export async function schemaVersion(client: ClientBase): Promise<number> {
  const table = await client.query<{ exists: boolean }>(`SELECT to_regclass('mlci_schema_migrations') IS NOT NULL AS exists`)
  if (!table.rows[0].exists) return 0
  const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM mlci_schema_migrations')
  return rows[0].version ?? 0
}

/**
 * Apply the migrations after the database's version, up to `to` (default: the latest), in one
 * transaction: a failure leaves the schema as it was. Refuses a database newer than this mlci.
 */
export async function migrate(client: ClientBase, location: string, to: number = LATEST_SCHEMA): Promise<MigrationReport> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(`CREATE TABLE IF NOT EXISTS mlci_schema_migrations (
      version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    const from = await schemaVersion(client)
    if (from > LATEST_SCHEMA) throw tooNew(location, from)
    const pending = MIGRATIONS.filter((m) => m.version > from && m.version <= to)
    for (const m of pending) {
      await client.query(m.sql)
      await client.query('INSERT INTO mlci_schema_migrations (version, description) VALUES ($1, $2)', [m.version, m.description])
    }
    await client.query('COMMIT')
    return { from, to: Math.max(from, ...pending.map((m) => m.version)), applied: pending.map(({ version, description }) => ({ version, description })) }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}

export function tooNew(location: string, version: number): MlciError {
  return new MlciError(ErrorCode.STATE_CORRUPT, `The shared registry at ${location} has schema ${version}; this mlci knows up to ${LATEST_SCHEMA}.`, {
    hint: 'It was migrated by a newer mlci: upgrade mlci on this runner. Nothing was changed.',
  })
}

export function tooOld(location: string, version: number): MlciError {
  return new MlciError(ErrorCode.STATE_CONFLICT, `The shared registry at ${location} has schema ${version}; this mlci needs ${LATEST_SCHEMA}.`, {
    hint: 'Run `mlci registry migrate` once (it upgrades the tables in one transaction), then run again.',
  })
}
