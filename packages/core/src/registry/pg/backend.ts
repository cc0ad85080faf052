import { AsyncLocalStorage } from 'node:async_hooks'
import type { PoolClient, QueryResultRow } from 'pg'
import { ErrorCode, MlciError } from '../../errors.js'
import type { AliasState, RegistryBackend } from '../backend.js'
import { decodeVersion, encodeVersion } from '../documents.js'
import type { AliasMove, ModelVersion } from '../types.js'
import { type PgTarget, withClient } from './connection.js'
import { LATEST_SCHEMA } from './migrations.js'
import { migrate, schemaVersion, tooNew, tooOld } from './migrate.js'

/**
 * The shared registry on PostgreSQL, for one named model (many models share one database).
 * Same contract as the file backend (backend.ts); the rules stay in ModelRegistry:
 *   createVersion   INSERT … ON CONFLICT DO NOTHING on (model, key): two runners allocating the
 *                   same number cannot both win, whatever their timing.
 *   exclusive       a transaction holding pg_advisory_xact_lock(model): every read and write made
 *                   inside `fn` goes through that transaction (AsyncLocalStorage routes them), so
 *                   an alias compare-and-set and its ledger entry commit together or not at all.
 *   writeAliases    also checks the model's revision and appends the ledger by position under a
 *                   primary key, so even a writer that skipped `exclusive` cannot interleave moves.
 * The schema is created on first use of an empty database; an older one needs `mlci registry migrate`.
 */
export class PgRegistryBackend implements RegistryBackend {
  readonly location: string
  private readonly tx = new AsyncLocalStorage<PoolClient>()
  private ready: Promise<void> | undefined

  constructor(readonly target: PgTarget, readonly model: string) {
    this.location = `${target.display} (model ${model})`
  }

  async listVersions(): Promise<ModelVersion[]> {
    const { rows } = await this.query<{ key: string; doc: unknown }>('SELECT key, doc FROM mlci_versions WHERE model = $1', [this.model])
    return rows.map((row) => this.decode(row.key, row.doc))
  }

  async readVersion(key: string): Promise<ModelVersion | undefined> {
    const { rows } = await this.query<{ doc: unknown }>('SELECT doc FROM mlci_versions WHERE model = $1 AND key = $2', [this.model, key])
    return rows.length ? this.decode(key, rows[0].doc) : undefined
  }

  async createVersion(key: string, doc: ModelVersion): Promise<boolean> {
    const { rowCount } = await this.query(
      'INSERT INTO mlci_versions (model, key, doc, status) VALUES ($1, $2, $3, $4) ON CONFLICT (model, key) DO NOTHING',
      [this.model, key, encodeVersion(doc), doc.status])
    return rowCount === 1
  }

  async replaceVersion(key: string, doc: ModelVersion): Promise<void> {
    const { rowCount } = await this.query('UPDATE mlci_versions SET doc = $3, status = $4 WHERE model = $1 AND key = $2',
      [this.model, key, encodeVersion(doc), doc.status])
    if (rowCount !== 1) throw new MlciError(ErrorCode.NOT_FOUND, `No model version ${key} in ${this.location}.`)
  }

  async readAliases(): Promise<AliasState> {
    // One statement, one snapshot: the aliases and the ledger always match.
    const { rows } = await this.query<{ revision: string; aliases: Record<string, string>; ledger: AliasMove[] }>(`
      SELECT m.revision,
        (SELECT coalesce(jsonb_object_agg(a.alias, a.version), '{}'::jsonb) FROM mlci_aliases a WHERE a.model = m.name) AS aliases,
        (SELECT coalesce(jsonb_agg(l.entry ORDER BY l.seq), '[]'::jsonb) FROM mlci_alias_ledger l WHERE l.model = m.name) AS ledger
      FROM mlci_models m WHERE m.name = $1`, [this.model])
    if (!rows.length) return { revision: 0, aliases: {}, ledger: [] }
    return { revision: Number(rows[0].revision), aliases: rows[0].aliases, ledger: rows[0].ledger }
  }

  async writeAliases(state: AliasState): Promise<void> {
    if (!this.tx.getStore()) throw new Error('PgRegistryBackend.writeAliases must run inside exclusive()')
    const { rows } = await this.query<{ revision: string; entries: number }>(
      'SELECT revision, (SELECT count(*)::int FROM mlci_alias_ledger WHERE model = $1) AS entries FROM mlci_models WHERE name = $1 FOR UPDATE', [this.model])
    const current = Number(rows[0].revision)
    const entries = rows[0].entries
    if (state.revision !== current + 1 || state.ledger.length < entries) {
      throw new MlciError(ErrorCode.STATE_CONFLICT, `The aliases of ${this.location} changed while they were being moved (revision ${current}, expected ${state.revision - 1}); nothing was written.`, {
        hint: 'Another runner moved an alias first. Run again: the move is decided on the current state.',
      })
    }
    const added = state.ledger.slice(entries)
    if (process.env.MLCI_TEST_CRASH_AT === 'aliases-write') process.kill(process.pid, 'SIGKILL')
    await this.query(`INSERT INTO mlci_alias_ledger (model, seq, entry)
      SELECT $1, s, e FROM unnest($2::int[], $3::jsonb[]) AS t(s, e)`,
    [this.model, added.map((_, i) => entries + i + 1), added.map((move) => JSON.stringify(move))])
    await this.query('DELETE FROM mlci_aliases WHERE model = $1', [this.model])
    const names = Object.keys(state.aliases)
    await this.query(`INSERT INTO mlci_aliases (model, alias, version) SELECT $1, a, v FROM unnest($2::text[], $3::text[]) AS t(a, v)`,
      [this.model, names, names.map((n) => state.aliases[n])])
    await this.query('UPDATE mlci_models SET revision = $2 WHERE name = $1', [this.model, state.revision])
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx.getStore()) return fn()
    await this.ensureReady()
    return withClient(this.target, async (client) => {
      await client.query('BEGIN')
      try {
        await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('mlci.registry/' || $1, 0))`, [this.model])
        const result = await this.tx.run(client, fn)
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw error
      }
    })
  }

  /** Append one release-journal entry (pg/journal.ts); outside any transaction, so it is durable at once. */
  async journalAppend(entry: object): Promise<void> {
    await this.ensureReady()
    await withClient(this.target, (c) => c.query('INSERT INTO mlci_release_journal (model, entry) VALUES ($1, $2)', [this.model, JSON.stringify(entry)]))
  }

  /** The model's release journal, oldest first. */
  async journalEntries(): Promise<unknown[]> {
    const { rows } = await this.query<{ entry: unknown }>('SELECT entry FROM mlci_release_journal WHERE model = $1 ORDER BY seq', [this.model])
    return rows.map((r) => r.entry)
  }

  /** Inside exclusive(): its transaction; otherwise a pooled client (after the schema check). */
  private async query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[]): Promise<{ rows: R[]; rowCount: number | null }> {
    const client = this.tx.getStore()
    if (client) return client.query<R>(sql, params)
    await this.ensureReady()
    return withClient(this.target, (c) => c.query<R>(sql, params))
  }

  /** Connect and check the schema now (done lazily by every method otherwise). */
  prepare(): Promise<void> {
    return this.ensureReady()
  }

  /** Once per process: the schema is current (created in an empty database) and the model exists. */
  private ensureReady(): Promise<void> {
    this.ready ??= withClient(this.target, async (client) => {
      let version = await schemaVersion(client)
      if (version === 0) version = (await migrate(client, this.target.display)).to
      if (version > LATEST_SCHEMA) throw tooNew(this.target.display, version)
      if (version < LATEST_SCHEMA) throw tooOld(this.target.display, version)
      await client.query('INSERT INTO mlci_models (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [this.model])
    }).catch((error: unknown) => {
      this.ready = undefined // the next call tries again (e.g. after the server is back)
      throw error
    })
    return this.ready
  }

  private decode(key: string, doc: unknown): ModelVersion {
    return decodeVersion(`${this.location}: version ${key}`, JSON.stringify(doc), key)
  }
}
