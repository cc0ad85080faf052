import type { Pool, PoolClient } from 'pg'
import { ErrorCode, MlciError, errorMessage } from '../../errors.js'

/** A registry URL split into what may be shown (no password) and what must be redacted. */
export interface PgTarget {
  url: string
  /** `postgres://user@host:port/db`: for messages, never carries the password. */
  display: string
  password?: string
}

export function parsePgUrl(url: string, source: string): PgTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `${source} is not a URL.`, { hint: 'Write postgres://USER:PASSWORD@HOST:PORT/DATABASE (the password can come from PGPASSWORD).' })
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `${source} must start with postgres:// (found ${parsed.protocol}//).`, {
      hint: 'The shared registry is PostgreSQL: postgres://USER:PASSWORD@HOST:PORT/DATABASE. Leave it unset for the embedded registry under .mlci/.',
    })
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined
  const shown = new URL(url)
  shown.password = ''
  shown.search = ''
  return { url, display: shown.toString(), password }
}

const pools = new Map<string, Promise<Pool>>()

/**
 * One pool per URL per process (watch mode builds many Mlci instances). `pg` is imported only
 * here, on first use: commands that never touch the registry do not pay for it.
 * allowExitOnIdle: an idle pool never keeps the CLI process alive.
 */
export function poolFor(target: PgTarget): Promise<Pool> {
  let pool = pools.get(target.url)
  if (!pool) {
    pool = import('pg').then(({ default: pg }) => {
      const created = new pg.Pool({ connectionString: target.url, max: 4, allowExitOnIdle: true, connectionTimeoutMillis: 10_000 })
      // An idle client whose server went away emits 'error'; without a listener that kills the process.
      created.on('error', () => undefined)
      return created
    })
    pools.set(target.url, pool)
  }
  return pool
}

/** Close every pool (tests, `mlci registry` commands that want a prompt exit). */
export async function closePools(): Promise<void> {
  const all = [...pools.values()]
  pools.clear()
  await Promise.all(all.map(async (p) => (await p).end().catch(() => undefined)))
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300'])

/** True for errors that mean "the server is not there (any more)", as opposed to a rejected query. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string }
  if (typeof e?.code === 'string' && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08') || e.code === '28P01' || e.code === '3D000')) return true
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error/i.test(e?.message ?? '')
}

/** The error a command reports when the registry server cannot be used: names the server, never the password. */
export function unavailable(target: PgTarget, error: unknown): MlciError {
  const code = (error as { code?: string }).code
  const why = code === '28P01' ? 'the password was rejected' : code === '3D000' ? 'the database does not exist' : errorMessage(error)
  return new MlciError(ErrorCode.STATE_UNAVAILABLE, `The shared registry at ${target.display} is unavailable: ${why}.`, {
    cause: error,
    hint: 'Check that PostgreSQL is running and reachable from here, and the URL in MLCI_REGISTRY_URL (or registry.url in the config). Nothing was changed: run again once it answers.',
  })
}

/** Run `fn` with a client from the pool, turning connection failures into MLCI_STATE_UNAVAILABLE. */
export async function withClient<T>(target: PgTarget, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const pool = await poolFor(target)
  let client: PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw unavailable(target, error)
  }
  let broken = false
  try {
    return await fn(client)
  } catch (error) {
    broken = isConnectionError(error)
    throw broken && !MlciError.is(error) ? unavailable(target, error) : error
  } finally {
    client.release(broken)
  }
}
