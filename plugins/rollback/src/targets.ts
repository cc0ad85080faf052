import type { ModelVersion } from '@mlci/core'

export type RollbackMode = 'auto' | 'manual' | 'recovery'

/**
 * Versions to try, best first.
 *
 * auto / recovery (the candidate failed):
 *   1. `prefer` (recovery: the live version before the interrupted release)
 *   2. `live`, when it is not the candidate — a deploy that failed before moving `live` leaves
 *      the last good version there, and that is what must keep serving
 *   3. `previous`
 *   4. every other `ready` version, newest first
 * manual (`mlci rollback` without --to, leaving the live version):
 *   `previous`, then `ready` versions older than live, newest first.
 * Only `ready` versions qualify; the candidate never does.
 */
export function orderTargets(args: {
  mode: RollbackMode
  candidate?: string
  prefer?: string
  aliases: Record<string, string>
  versions: ModelVersion[]
}): ModelVersion[] {
  const { mode, candidate, aliases, versions } = args
  const ready = versions.filter((v) => v.status === 'ready' && v.version !== candidate)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  const byName = new Map(ready.map((v) => [v.version, v]))
  const names = mode === 'manual'
    ? [aliases.previous, ...olderThan(ready, versions.find((v) => v.version === candidate)).map((v) => v.version)]
    : [args.prefer, aliases.live, aliases.previous, ...ready.map((v) => v.version)]
  const out: ModelVersion[] = []
  for (const name of names) {
    const v = name ? byName.get(name) : undefined
    if (v && !out.includes(v)) out.push(v)
  }
  return out
}

function olderThan(ready: ModelVersion[], live: ModelVersion | undefined): ModelVersion[] {
  return live ? ready.filter((v) => v.createdAt < live.createdAt) : ready
}

/** Why a target cannot be deployed from what is stored (core's check, shared with the release state). */
export { brokenArtifacts } from '@mlci/core'
