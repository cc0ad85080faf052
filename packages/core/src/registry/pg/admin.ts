import type { ResolvedConfig } from '../../config.js'
import { ErrorCode, MlciError } from '../../errors.js'
import { registrySettings } from '../../shared/settings.js'
import { type PgTarget, withClient } from './connection.js'
import { LATEST_SCHEMA } from './migrations.js'
import { migrate, schemaVersion, type MigrationReport } from './migrate.js'

/** A model in the shared registry, as `mlci registry models` lists it. */
export interface ModelSummary {
  name: string
  versions: number
  ready: number
  live?: string
  lastCreated?: string
}

function sharedTarget(config: ResolvedConfig, env: NodeJS.ProcessEnv, action: string): { target: PgTarget; model: string } {
  const settings = registrySettings(config, env)
  if (!settings) {
    throw new MlciError(ErrorCode.USAGE, `mlci registry ${action} works on a shared registry, and none is configured.`, {
      hint: "Set MLCI_REGISTRY_URL=postgres://USER:PASSWORD@HOST:PORT/DB, or registry: { url: '…' } in the config.",
    })
  }
  return settings
}

/** Bring the shared registry's schema to `to` (default: the latest this mlci knows). */
export async function migrateRegistry(config: ResolvedConfig, env: NodeJS.ProcessEnv, to?: number): Promise<MigrationReport & { location: string }> {
  const { target } = sharedTarget(config, env, 'migrate')
  if (to !== undefined && (!Number.isInteger(to) || to < 1 || to > LATEST_SCHEMA)) {
    throw new MlciError(ErrorCode.USAGE, `--to must be a schema version from 1 to ${LATEST_SCHEMA}, got ${to}.`)
  }
  const report = await withClient(target, (client) => migrate(client, target.display, to))
  return { ...report, location: target.display }
}

export async function registrySchema(config: ResolvedConfig, env: NodeJS.ProcessEnv): Promise<{ location: string; model: string; schema: number; latest: number }> {
  const { target, model } = sharedTarget(config, env, 'status')
  const schema = await withClient(target, (client) => schemaVersion(client))
  return { location: target.display, model, schema, latest: LATEST_SCHEMA }
}

/** Every model in the shared registry with its version counts and live version. */
export async function listModels(config: ResolvedConfig, env: NodeJS.ProcessEnv): Promise<ModelSummary[]> {
  const { target } = sharedTarget(config, env, 'models')
  return withClient(target, async (client) => {
    if ((await schemaVersion(client)) === 0) return []
    const { rows } = await client.query<{ name: string; versions: number; ready: number; live: string | null; last: Date | null }>(`
      SELECT m.name,
        (SELECT count(*)::int FROM mlci_versions v WHERE v.model = m.name) AS versions,
        (SELECT count(*)::int FROM mlci_versions v WHERE v.model = m.name AND v.doc->>'status' = 'ready') AS ready,
        (SELECT a.version FROM mlci_aliases a WHERE a.model = m.name AND a.alias = 'live') AS live,
        (SELECT max(v.created_at) FROM mlci_versions v WHERE v.model = m.name) AS last
      FROM mlci_models m ORDER BY m.name`)
    return rows.map((r) => ({ name: r.name, versions: r.versions, ready: r.ready, live: r.live ?? undefined, lastCreated: r.last?.toISOString() }))
  })
}
