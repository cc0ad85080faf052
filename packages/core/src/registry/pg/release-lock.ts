import { setTimeout as sleep } from 'node:timers/promises'
import type { Client } from 'pg'
import { ErrorCode, MlciError } from '../../errors.js'
import { type PgTarget, unavailable } from './connection.js'

export interface ReleaseHolder {
  host: string
  pid: number
  runId?: string
  command?: string
}

export interface HeldReleaseLock {
  release(): Promise<void>
}

export interface AcquireReleaseOptions {
  /** Wait for the holder to finish (abortable by `signal`) instead of failing fast. */
  wait?: boolean
  signal?: AbortSignal
  /** Told once, when this runner starts waiting. */
  onWait?: (holder: string) => void
}

const POLL_MS = 250

/**
 * A model's release lock: a session-level PostgreSQL advisory lock on its own connection. The
 * server releases it when that connection ends, so a runner killed with -9 (or a lost network)
 * never leaves a model locked; no lease, no clock. A row in mlci_release_holders names the holder
 * for the runner that has to wait (it is informative only; the advisory lock is the lock).
 */
export async function acquireReleaseLock(target: PgTarget, model: string, holder: ReleaseHolder, options: AcquireReleaseOptions = {}): Promise<HeldReleaseLock> {
  const { default: pg } = await import('pg')
  const client: Client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000 })
  client.on('error', () => undefined) // a dropped connection surfaces on the next query
  try {
    await client.connect()
  } catch (error) {
    throw unavailable(target, error)
  }
  const lockName = `mlci.release/${model}`
  let told = false
  try {
    for (;;) {
      options.signal?.throwIfAborted()
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [lockName])
      if (rows[0].ok) break
      const who = await describeHolder(client, model)
      if (!options.wait) {
        throw new MlciError(ErrorCode.LOCKED, `Model ${model} is being released by another runner: ${who} (${target.display}).`, {
          hint: 'Run with --wait-for-lock to wait for it. A runner that dies releases the lock with its database connection; nothing needs cleaning up.',
        })
      }
      if (!told) options.onWait?.(who)
      told = true
      await sleep(POLL_MS, undefined, { signal: options.signal })
    }
    await client.query(`INSERT INTO mlci_release_holders (model, host, pid, run_id, command, since) VALUES ($1, $2, $3, $4, $5, now())
      ON CONFLICT (model) DO UPDATE SET host = excluded.host, pid = excluded.pid, run_id = excluded.run_id, command = excluded.command, since = excluded.since`,
    [model, holder.host, holder.pid, holder.runId ?? null, holder.command ?? null])
  } catch (error) {
    await client.end().catch(() => undefined)
    if (MlciError.is(error) || options.signal?.aborted) throw error
    throw unavailable(target, error)
  }
  return {
    async release() {
      try {
        await client.query('DELETE FROM mlci_release_holders WHERE model = $1 AND host = $2 AND pid = $3', [model, holder.host, holder.pid])
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockName])
      } catch {
        // The connection is gone, and with it the lock.
      } finally {
        await client.end().catch(() => undefined)
      }
    },
  }
}

async function describeHolder(client: Client, model: string): Promise<string> {
  const { rows } = await client.query<{ host: string; pid: number; run_id: string | null; command: string | null; since: Date }>(
    'SELECT host, pid, run_id, command, since FROM mlci_release_holders WHERE model = $1', [model])
  const h = rows[0]
  if (!h) return 'holder not recorded yet'
  return `PID ${h.pid} on ${h.host}${h.run_id ? `, run ${h.run_id}` : ''}${h.command ? ` (${h.command})` : ''}, since ${h.since.toISOString()}`
}
