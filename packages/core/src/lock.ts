import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, MlciError } from './errors.js'
import { isProcessAlive } from './process-alive.js'

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number
  command: string
  startedAt: string
  hostname?: string
}

export interface LockOptions {
  command: string
  /** Wait for the holder to finish instead of failing fast. */
  wait?: boolean
  /** Give up waiting after this long (ms). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Called when a lock left by a dead process is reclaimed. */
  onStale?: (holder: LockHolder | undefined) => void
}

export interface Lock {
  readonly file: string
  release(): Promise<void>
}


async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder
  } catch {
    return undefined
  }
}

// A lock file that exists but holds no readable holder was left between create and write;
// after this long nobody is still writing it.
const UNREADABLE_LOCK_GRACE_MS = 2000

/**
 * One lock per repo (`.mlci/lock`): created with O_EXCL so exactly one process wins; holds PID,
 * command and start time so the loser can name the holder. A lock whose PID is dead is reclaimed.
 */
export async function acquireLock(file: string, options: LockOptions): Promise<Lock> {
  // Synchronous file calls: a few tiny writes every run, cheaper than thread-pool round trips.
  mkdirSync(dirname(file), { recursive: true })
  const me: LockHolder = { pid: process.pid, command: options.command, startedAt: new Date().toISOString() }
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000)
  for (;;) {
    try {
      const fd = openSync(file, 'wx')
      try {
        writeSync(fd, JSON.stringify(me))
      } finally {
        closeSync(fd)
      }
      return {
        file,
        async release() {
          const holder = await readHolder(file)
          if (holder?.pid === me.pid && holder.startedAt === me.startedAt) rmSync(file, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = await readHolder(file)
    const stale = holder
      ? !isProcessAlive(holder.pid)
      : Date.now() - (await stat(file).then((s) => s.mtimeMs, () => 0)) > UNREADABLE_LOCK_GRACE_MS
    if (stale) {
      options.onStale?.(holder)
      await rm(file, { force: true })
      continue
    }
    if (!options.wait || Date.now() > deadline || options.signal?.aborted) {
      const who = holder ? `PID ${holder.pid} (\`${holder.command}\`, since ${holder.startedAt})` : 'another process'
      throw new MlciError(ErrorCode.LOCKED, `Another mlci run holds the repo lock: ${who}.`, {
        hint: `Wait for it to finish, or pass --wait-for-lock. The lock file is ${file}.`,
      })
    }
    await sleep(100)
  }
}
