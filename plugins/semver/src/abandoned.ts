import { hostname } from 'node:os'
import type { ModelVersion } from '@mlci/core'

/**
 * A `pending` version whose creating process is gone (same host, PID dead) was left by a run
 * that crashed or was killed between recording and releasing it. Versions being recorded by a
 * live process, or on another host, are left alone.
 */
export function isAbandoned(version: ModelVersion, runId: string): boolean {
  if (version.status !== 'pending' || version.runId === runId || !version.createdBy) return false
  return version.createdBy.host === hostname() && !isAlive(version.createdBy.pid)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
