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
