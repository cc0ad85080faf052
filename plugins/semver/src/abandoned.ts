import { hostname } from 'node:os'
import type { ModelVersion } from '@mlci/core'
import { isProcessAlive } from '@mlci/core'

/**
 * A `pending` version whose creating process is gone (same host, PID dead) was left by a run
 * that crashed or was killed between recording and releasing it. Versions being recorded by a
 * live process, or on another host, are left alone.
 */
export function isAbandoned(version: ModelVersion, runId: string): boolean {
  if (version.status !== 'pending' || version.runId === runId || !version.createdBy) return false
  return version.createdBy.host === hostname() && !isProcessAlive(version.createdBy.pid)
}

