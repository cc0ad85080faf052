import { randomBytes } from 'node:crypto'
import { readFile, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, MlciError } from '../errors.js'
import { isProcessAlive } from '../process-alive.js'
import { createExclusive, readLockFile, reclaimLock } from '../lock-file.js'

/** Who holds the registry's write lock. */
export interface WriteLockHolder {
  pid: number
  host: string
  nonce: string
  since: string
}

export interface WriteLockOptions {
  /** Give up after this long (ms). Critical sections are milliseconds; a long wait means trouble. */
  timeoutMs?: number
}


function parseHolder(text: string): WriteLockHolder | undefined {
  try {
    const h = JSON.parse(text) as WriteLockHolder
    return typeof h.pid === 'number' && typeof h.nonce === 'string' ? h : undefined
  } catch {
    return undefined
  }
}

/**
 * The registry's own short-lived write lock. mlci holds the repo lock only for builds, while
 * `mlci rollback`, deployers and other processes write the registry too, so every
 * read-modify-write of a registry file happens under this lock (a few milliseconds).
 *
 * The lock file appears with its content already in it (written to a temp file, then
 * `link()`ed into place, which fails with EEXIST when held), so there is no "empty lock" state.
 * A lock whose holder process is dead (same host) is reclaimed by renaming it aside and
 * checking that what was renamed is the lock that was judged dead; a live lock taken by
 * mistake in that race is linked back.
 */
export async function withWriteLock<T>(file: string, fn: () => Promise<T>, options: WriteLockOptions = {}): Promise<T> {
  const me: WriteLockHolder = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex'), since: new Date().toISOString() }
  await acquire(file, me, options.timeoutMs ?? 30_000)
  try {
    // Stryker disable next-line all: a crash point for the kill -9 tests, which run in child processes on dist; in-process its mutants either never fire or SIGKILL the test runner (docs/mutation-survivors.md)
    if (process.env.MLCI_TEST_CRASH_AT === 'registry-lock-held') process.kill(process.pid, 'SIGKILL')
    return await fn()
  } finally {
    const text = await readFile(file, 'utf8').catch(() => '')
    if (parseHolder(text)?.nonce === me.nonce) await rm(file, { force: true })
  }
}

async function acquire(file: string, me: WriteLockHolder, timeoutMs: number): Promise<void> {
  const mine = JSON.stringify(me)
  const deadline = Date.now() + timeoutMs
  let delay = 2
  for (;;) {
    if (createExclusive(file, mine)) return
    const text = readLockFile(file)
    if (text === undefined) continue // released between link and read: try again at once
    const holder = parseHolder(text)
    const dead = holder ? holder.host === me.host && !isProcessAlive(holder.pid) : await olderThan(file, 5_000)
    if (dead) {
      reclaimLock(file, text)
      continue
    }
    if (Date.now() > deadline) {
      const who = holder ? `PID ${holder.pid} on ${holder.host} (since ${holder.since})` : 'an unknown process'
      throw new MlciError(ErrorCode.LOCKED, `The model registry is locked by ${who}.`, {
        hint: `Another mlci process is writing the registry. If that process is gone (another host?), remove ${file}.`,
      })
    }
    // Jittered backoff: many short critical sections, many waiters (8 processes in tests).
    await sleep(delay + Math.random() * delay)
    delay = Math.min(delay * 2, 50)
  }
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  const s = await stat(file).catch(() => undefined)
  return s ? Date.now() - s.mtimeMs > ms : false
}
