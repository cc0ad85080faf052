import { readFileSync } from 'node:fs'

/**
 * Whether a process holds anything: it exists (or exists under another user) and is not a zombie
 * — a killed process its parent has not reaped yet still answers `kill(pid, 0)`. Used to reclaim
 * locks and pending versions left by dead runs.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true // no /proc (macOS): trust kill(0)
  }
}

let bootTimeMs: number | undefined

/**
 * When a process started (ms since the epoch), from /proc; undefined where there is no /proc.
 * A PID alive now but started after a lock was taken is a reused PID, not the lock's holder.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime, clock ticks since boot), counted after the parenthesised command name.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000
    // USER_HZ is 100 on every Linux mlci runs on.
    return Number.isFinite(ticks) && bootTimeMs ? bootTimeMs + ticks * 10 : undefined
  } catch {
    return undefined
  }
}
