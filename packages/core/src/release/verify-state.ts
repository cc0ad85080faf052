import { errorMessage } from '../errors.js'
import { openReleases, pendingSteps, type Journal, type JournalEntry, type JournalLog } from '../journal/journal.js'
import { isProcessAlive } from '../process-alive.js'
import { RELEASE_ALIASES } from '../registry/registry.js'
import type { ModelVersion, Registry } from '../registry/types.js'
import type { ContentStore } from '../store/content-store.js'
import type { ReleaseState } from './release-state.js'

/** One thing `mlci registry verify` found. `repairable`: `mlci registry repair` fixes it safely. */
export interface StateProblem {
  /** What is affected: `version 1.2.0`, `alias live`, `journal.jsonl:48`. */
  subject: string
  problem: string
  repairable: boolean
  /** Notes (an unfinished release the next run recovers) do not fail verify. */
  note?: boolean
}

interface StateParts {
  registry: Registry
  store: ContentStore
  journal: Journal
  /** The registry's release journal when it is not `journal` (a shared registry's table). */
  releaseLog?: JournalLog
}

/**
 * Check the release state end to end, changing nothing: every ready or pending version's blobs
 * (hashed, not just present), the release aliases (existing, ready, previous ≠ live), and the
 * journal (torn, glued or damaged lines; unfinished steps of dead runs, as notes).
 */
export async function verifyState({ registry, store, journal, releaseLog }: StateParts): Promise<StateProblem[]> {
  const problems: StateProblem[] = []
  let versions: ModelVersion[] = []
  try {
    versions = await registry.list()
  } catch (error) {
    problems.push({ subject: 'registry', problem: errorMessage(error), repairable: false })
  }
  for (const v of versions.filter((x) => x.status !== 'failed')) {
    for (const artifact of v.artifacts ?? []) {
      const ok = await store.intact(artifact.digest).catch(() => false)
      if (!ok) {
        const present = await store.has(artifact.digest).catch(() => false)
        problems.push({
          subject: `version ${v.version}`,
          problem: `artifact ${artifact.path} (${artifact.digest.slice(0, 19)}…) is ${present ? 'corrupt in the store (its content does not match the digest)' : 'missing from the store'}; it cannot be deployed or rolled back to`,
          // Evicting a corrupt blob is safe (the next build with the same bytes stores it again); a missing one cannot be made up.
          repairable: present,
        })
      }
    }
  }
  let aliases: Record<string, string> = {}
  try {
    aliases = await registry.aliases()
  } catch (error) {
    problems.push({ subject: 'aliases', problem: errorMessage(error), repairable: false })
  }
  const byKey = new Map(versions.map((v) => [v.version.split('+')[0], v]))
  for (const alias of RELEASE_ALIASES) {
    const to = aliases[alias]
    if (!to) continue
    const v = byKey.get(to.split('+')[0])
    if (!v) problems.push({ subject: `alias ${alias}`, problem: `names ${to}, which is not in the registry`, repairable: true })
    else if (v.status !== 'ready') problems.push({ subject: `alias ${alias}`, problem: `names ${v.version}, which is ${v.status}; ${alias} may only name ready versions`, repairable: true })
  }
  if (aliases.live && aliases.previous && aliases.live.split('+')[0] === aliases.previous.split('+')[0]) {
    problems.push({ subject: 'alias previous', problem: `equals live (${aliases.live})`, repairable: true })
  }
  try {
    const scan = await journal.scan()
    for (const p of scan.problems) problems.push({ subject: `${journal.file}:${p.line}`, problem: `${p.kind}: ${p.detail}`, repairable: true })
    const entries: JournalEntry[] = releaseLog && releaseLog !== journal ? await releaseLog.read() : scan.entries
    const open = pendingSteps(entries, (e) => e.step === 'release' || e.step === 'rollback')
    const unproven = new Map(openReleases(open).filter((r) => r.unproven).map((r) => [r.runId, r]))
    for (const { intent: e } of open) {
      const serving = e.step === 'release' ? unproven.get(e.runId) : undefined
      const alive = isProcessAlive(e.pid)
      problems.push({
        subject: `${e.step} ${String(e.data?.candidate ?? e.data?.from ?? '')}`.trim(),
        problem: serving
          ? `${serving.candidate} serves, unproven (${serving.unproven?.why ?? 'its analysis could not decide'}); live names ${serving.unproven?.live ?? 'nothing'}; the next \`mlci build\`, \`mlci monitor\` or \`mlci rollback\` resolves it`
          : alive ? `in progress (run ${e.runId}, pid ${e.pid})` : `left unfinished by run ${e.runId} (pid ${e.pid} is gone); the next \`mlci build\` or \`mlci rollback\` recovers it`,
        repairable: false,
        note: true,
      })
    }
  } catch (error) {
    problems.push({ subject: journal.file, problem: errorMessage(error), repairable: false })
  }
  return problems
}

/**
 * Fix what verify found that can be fixed without guessing: cut torn/glued/damaged journal
 * lines (kept aside in `journal.jsonl.damaged`), evict corrupt blobs, and unset release aliases
 * that name a missing or non-ready version (or `previous` = `live`). Returns what it did.
 */
export async function repairState(parts: StateParts & { release: ReleaseState }): Promise<string[]> {
  const done: string[] = []
  const removed = await parts.journal.repair()
  for (const p of removed) done.push(`${parts.journal.file}:${p.line}: removed (${p.kind}); kept in ${parts.journal.file}.damaged`)
  for (const v of await parts.registry.list()) {
    for (const artifact of v.artifacts ?? []) {
      if ((await parts.store.has(artifact.digest)) && !(await parts.store.intact(artifact.digest))) {
        await parts.store.remove(artifact.digest)
        done.push(`evicted the corrupt blob ${artifact.digest.slice(0, 19)}… (${artifact.path} of ${v.version}); the next build with the same bytes stores it again`)
      }
    }
  }
  const versions = new Map((await parts.registry.list()).map((v) => [v.version.split('+')[0], v]))
  const aliases = await parts.registry.aliases()
  const moves = RELEASE_ALIASES.filter((alias) => aliases[alias] && versions.get(aliases[alias].split('+')[0])?.status !== 'ready')
  if (aliases.live && aliases.previous && aliases.live.split('+')[0] === aliases.previous.split('+')[0] && !moves.includes('previous')) moves.push('previous')
  if (moves.length) {
    await parts.release.unset(moves, 'mlci registry repair: it named a version that is not ready (or previous = live)')
    for (const alias of moves) done.push(`unset ${alias} (was ${aliases[alias]})`)
  }
  return done
}
