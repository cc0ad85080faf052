import { rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, MlciError } from './errors.js'
import { isProcessAlive, processStartTime } from './process-alive.js'
import { createExclusive, reclaimLock, readLockFile } from './lock-file.js'

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number
  command: string
  startedAt: string
  hostname?: string
  /** When the holder process started (ms, from /proc): tells a reused PID from the holder. */
  processStart?: number
}

/** Whether a lock's holder can still be running: `unknown` when it is on another host. */
export type HolderState = 'alive' | 'dead' | 'other-host'

/**
 * A holder counts as alive only if its PID runs on this host and is the same process: one
 * started after the lock was taken is an unrelated process that reused the PID.
 */
export function holderState(holder: LockHolder | undefined, host = hostname()): HolderState {
  if (!holder) return 'dead'
  if ((holder.hostname ?? host) !== host) return 'other-host'
  if (!isProcessAlive(holder.pid)) return 'dead'
  const started = processStartTime(holder.pid)
  if (started === undefined) return 'alive'
  if (holder.processStart !== undefined) return Math.abs(started - holder.processStart) > 1000 ? 'dead' : 'alive'
  return started > Date.parse(holder.startedAt) + 5000 ? 'dead' : 'alive'
}

/** "PID 123 on host ci-7 (`mlci build`, since 2026-…)" */
export function describeHolder(holder: LockHolder): string {
  return `PID ${holder.pid} on host ${holder.hostname ?? 'unknown'} (\`${holder.command}\`, since ${holder.startedAt})`
}

/** The lock file's holder as written, or undefined when there is no lock (or it is unreadable). */
export function readLock(file: string): { text: string; holder: LockHolder | undefined } | undefined {
  const text = readLockFile(file)
  return text === undefined ? undefined : { text, holder: parseHolder(text) }
}

/** Remove the lock `judged` (as read by readLock), never one taken since. */
export function removeLock(file: string, judged: string): void {
  reclaimLock(file, judged)
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
  const me: LockHolder = { pid: process.pid, command: options.command, startedAt: new Date().toISOString(), hostname: hostname(), processStart: processStartTime(process.pid) }
  const mine = JSON.stringify(me)
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000)
  let waiting = false
  for (;;) {
    if (createExclusive(file, mine)) {
      const release = () => {
        process.off('exit', release)
        if (readLockFile(file) === mine) rmSync(file, { force: true })
      }
      // A forced exit (second Ctrl-C, an uncaught error) must not leave the lock behind.
      process.on('exit', release)
      return { file, async release() { release() } }
    }
    const text = readLockFile(file)
    if (text === undefined) continue // released between our attempt and the read
    const holder = parseHolder(text)
    // Unparseable: not written by mlci (the file appears whole); treat as stale.
    const state = holderState(holder, me.hostname)
    if (state === 'dead') {
      options.onStale?.(holder)
      reclaimLock(file, text)
      continue
    }
    if (!options.wait || Date.now() > deadline || options.signal?.aborted) throw lockedError(file, holder!, state)
    if (!waiting) options.onWait?.(holder)
    waiting = true
    await sleep(100)
  }
}

function lockedError(file: string, holder: LockHolder, state: HolderState): MlciError {
  if (state === 'other-host') {
    return new MlciError(ErrorCode.LOCKED, `The repo lock is held by ${describeHolder(holder)}; mlci cannot tell from here whether it still runs.`, {
      hint: `If that run is over (a shared or copied checkout), remove the lock with \`mlci unlock --force\`. The lock file is ${file}.`,
    })
  }
  return new MlciError(ErrorCode.LOCKED, `Another mlci run holds the repo lock: ${describeHolder(holder)}.`, {
    hint: `Wait for it to finish, or pass --wait-for-lock to start when it does. The lock file is ${file}.`,
  })
}
