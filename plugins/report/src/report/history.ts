import { ErrorCode, MlciError } from '@mlci/core'
import type { AliasMove, ModelVersion, Registry } from '@mlci/core'

/** What reports need from the registry, read once so rendering stays pure. */
export interface RegistrySnapshot {
  /** In creation order (oldest first). */
  versions: ModelVersion[]
  aliases: Record<string, string>
  ledger: AliasMove[]
}

/** A `live` alias move that undid a release (by the rollback policy or `mlci rollback`). */
export interface RollbackMove {
  time: string
  from?: string
  to?: string
  reason: string
  runId?: string
}

/**
 * Read versions, aliases and ledger. Reports are best-effort: a missing or unreadable registry
 * gives `undefined` (the report shows the run without history), never a failed command.
 */
export async function loadRegistrySnapshot(registry: Registry | undefined): Promise<RegistrySnapshot | undefined> {
  if (!registry) return undefined
  try {
    const [versions, aliases, ledger] = await Promise.all([registry.list(), registry.aliases(), registry.ledger()])
    return { versions: sortVersions(versions), aliases, ledger }
  } catch {
    return undefined
  }
}

export function sortVersions(versions: ModelVersion[]): ModelVersion[] {
  return [...versions].sort((a, b) => {
    const byTime = Date.parse(a.createdAt) - Date.parse(b.createdAt)
    // Same millisecond: numeric-aware order (1.10.0 after 1.9.0) is enough for a tie-break.
    return byTime || a.version.localeCompare(b.version, 'en', { numeric: true })
  })
}

/**
 * Rollbacks, from the ledger: moves of `live` that were rollbacks (said so, or went back to an
 * older version), and releases that failed their deploy or monitor while another version stayed
 * live (the release state never points `live` at an unproven candidate, so such a rollback moves
 * no alias: its ledger entry is the candidate's status change to `failed`).
 */
export function rollbackMoves(snapshot: RegistrySnapshot): RollbackMove[] {
  const order = new Map(snapshot.versions.map((v, i) => [v.version, i]))
  const out: RollbackMove[] = []
  let live: string | undefined
  for (const move of snapshot.ledger) {
    if (move.kind === 'status') {
      if (move.to === 'failed' && live && / failed in (deploy|monitor)\b/.test(move.reason)) {
        out.push({ time: move.time, from: move.alias, to: live, reason: move.reason, runId: move.runId })
      }
      continue
    }
    if (move.alias !== 'live') continue
    // A rollback after a failed live version moves from nothing: the failure unset `live` first.
    if (move.to && (move.from || /rollback|rolled back/i.test(move.reason))
      && (/rollback|rolled back/i.test(`${move.reason} ${move.by}`) || (order.get(move.to) ?? 0) < (order.get(move.from ?? '') ?? 0))) {
      out.push({ time: move.time, from: move.from, to: move.to, reason: move.reason, runId: move.runId })
    }
    live = move.to
  }
  return out
}

/** Versions from `since` on (inclusive), at most `limit` of the newest. */
export function versionsSince(snapshot: RegistrySnapshot, since: string | undefined, limit: number): ModelVersion[] {
  let versions = snapshot.versions
  if (since) {
    const start = versions.findIndex((v) => v.version === since)
    if (start < 0) {
      const known = versions.map((v) => v.version)
      throw new MlciError(ErrorCode.USAGE, `--since ${since}: no such version in the registry.`, {
        hint: known.length ? `Known versions: ${known.slice(-10).join(', ')}.` : 'The registry has no versions yet: run `mlci build` first.',
      })
    }
    versions = versions.slice(start)
  }
  return versions.slice(-limit)
}

/** Every metric name in these versions, in first-seen order. */
export function metricNames(versions: { metrics?: Record<string, number> }[]): string[] {
  const names = new Set<string>()
  for (const v of versions) for (const name of Object.keys(v.metrics ?? {})) names.add(name)
  return [...names]
}
