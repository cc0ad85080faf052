import { rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, MlciError } from './errors.js'
import { isProcessAlive } from './process-alive.js'
import { createExclusive, reclaimLock, readLockFile } from './lock-file.js'

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
  /** Called once, when `wait` is set and a live process holds the lock: we start waiting. */
  onWait?: (holder: LockHolder | undefined) => void
}

export interface Lock {
  readonly file: string
  release(): Promise<void>
}


function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as LockHolder
    return typeof holder.pid === 'number' ? holder : undefined
  } catch {
    return undefined
  }
}

/**
 * One lock per repo (`.mlci/lock`), holding PID, command, start time and host so a loser can name
 * the holder. Created whole (temp file + link, see lock-file.ts); a lock whose holder process is
 * dead on this host is reclaimed, without ever removing a lock a live process took meanwhile.
 */
export async function acquireLock(file: string, options: LockOptions): Promise<Lock> {
  const me: LockHolder = { pid: process.pid, command: options.command, startedAt: new Date().toISOString(), hostname: hostname() }
  const mine = JSON.stringify(me)
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000)
  let waiting = false
  for (;;) {
    if (createExclusive(file, mine)) {
      return {
        file,
        async release() {
          if (readLockFile(file) === mine) rmSync(file, { force: true })
        },
      }
    }
    const text = readLockFile(file)
    if (text === undefined) continue // released between our attempt and the read
    const holder = parseHolder(text)
    // Unparseable: not written by mlci (the file appears whole); treat as stale.
    const stale = !holder || ((holder.hostname ?? me.hostname) === me.hostname && !isProcessAlive(holder.pid))
    if (stale) {
      options.onStale?.(holder)
      reclaimLock(file, text)
      continue
    }
    if (!options.wait || Date.now() > deadline || options.signal?.aborted) {
      const who = holder ? `PID ${holder.pid} (\`${holder.command}\`, since ${holder.startedAt})` : 'another process'
      throw new MlciError(ErrorCode.LOCKED, `Another mlci run holds the repo lock: ${who}.`, {
        hint: `Wait for it to finish, or pass --wait-for-lock. The lock file is ${file}.`,
      })
    }
    if (!waiting) options.onWait?.(holder)
    waiting = true
    await sleep(100)
  }
}
