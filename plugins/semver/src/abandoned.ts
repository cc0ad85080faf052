import { hostname } from 'node:os'
import type { ModelVersion } from '@mlci/core'
import { isProcessAlive } from '@mlci/core'

/**
 * A `pending` version whose creating process is gone (same host, PID dead) was left by a run
 * that crashed or was killed between recording and releasing it. On another host the PID says
 * nothing; there, only a run holding a shared registry's release lock (`releaseLockHeld`) knows
 * that no other runner is mid-release, so any other run's pending version was abandoned.
 */
export function isAbandoned(version: ModelVersion, runId: string, releaseLockHeld = false): boolean {
  if (version.status !== 'pending' || version.runId === runId || !version.createdBy) return false
  if (releaseLockHeld) return true
  return version.createdBy.host === hostname() && !isProcessAlive(version.createdBy.pid)
}

