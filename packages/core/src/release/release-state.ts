import { ErrorCode, MlciError, errorMessage } from '../errors.js'
import { hostname } from 'node:os'
import type { JournalLog } from '../journal/journal.js'
import type { AliasChange, ModelVersion, Registry, VersionStatus } from '../registry/types.js'
import type { ContentStore } from '../store/content-store.js'
import { brokenArtifacts } from './eligibility.js'

/** Who changes the release state: the command line and the run, for the ledger and the journal. */
export interface ReleaseActor {
  by: string
  runId?: string
}

/**
 * The one owner of release state: every move of `live`/`previous` and every status change made
 * by mlci goes through here. Deployers and the rollback policy report facts (deployed, healthy,
 * restored, failed); this decides what the registry says, under these invariants:
 *
 *   1. `live` and `previous` name only `ready` versions (or nothing)   — ModelRegistry.moveAliases
 *   2. `previous` ≠ `live`                                              — ModelRegistry.moveAliases
 *   3. a version becomes `ready` only when proven (deployed, monitored) — `released`, called by core
 *      and with its artifacts verified in the store                      — `markReady`
 *   4. a failed version loses the aliases that named it                 — ModelRegistry.setStatus
 *
 * Each change is journaled (intent → commit) and ledgered (who, when, from, to, why). The run's
 * release and rollback are journaled as transactions too (`openRelease`…`closeRelease`,
 * `beginRollback`…`endRollback`): one a run leaves open is what recovery (recover.ts) finishes.
 * The journal lives with the registry (shared/select.ts: a file, or a PostgreSQL table).
 */
export class ReleaseState {
  /** A plugin's policy may turn off recovery at the start of its runs (rollback({ recover: false })). */
  recoverAtStart = true
  private release: { id: string; version: string } | undefined

  constructor(
    private readonly registry: Registry,
    private readonly store: ContentStore,
    readonly journal: JournalLog | undefined,
    private readonly actor: ReleaseActor,
  ) {}

  /**
   * This run starts deploying `candidate` as a release: journaled with what was live before and
   * whether a monitor will judge it, so a run that dies from here on is recovered by the next.
   */
  async openRelease(candidate: string, monitor: boolean): Promise<void> {
    if (!this.journal || this.release) return
    const from = (await this.registry.aliases()).live
    const id = await this.journal.intent('release', { candidate, from, monitor, host: hostname() })
    this.release = { id, version: candidate }
  }

  /** The candidate of this run's open release, if any. */
  get releasing(): string | undefined {
    return this.release?.version
  }

  /** The release's deploy succeeded (recovery completes a release that got this far and had no monitor). */
  async releaseDeployed(deployment: unknown): Promise<void> {
    if (this.release) await this.journal?.note('release.deployed', { version: this.release.version, deployment })
  }

  /**
   * The candidate serves but its analysis could not decide (Error/Inconclusive) and nothing
   * rolled it back: the release stays open, noted unproven, for the next run to resolve.
   */
  async releaseUnproven(why: string, live: string | undefined): Promise<void> {
    if (!this.release) return
    await this.journal?.note('release.unproven', { version: this.release.version, why, live })
    this.unproven = true
  }

  /** This run's release ended unproven (left open on purpose). */
  unproven = false

  /** This run's release ended (released, rolled back, …): commit it with its outcome. */
  async closeRelease(outcome: string, data: Record<string, unknown> = {}): Promise<void> {
    const open = this.release
    if (!open) return
    this.release = undefined
    await this.journal?.commit(open.id, 'release', { outcome, version: open.version, ...data })
  }

  /** A rollback starts (journaled: one killed midway is run again toward the same target). */
  async beginRollback(data: { mode: string; from?: string; reason: string }): Promise<string | undefined> {
    return this.journal?.intent('rollback', { ...data, host: hostname() })
  }

  /** The rollback policy is about to bring up `version` (journaled before the deployer acts). */
  async rollingBackTo(version: string): Promise<void> {
    await this.journal?.note('rollback.target', { to: version })
  }

  async endRollback(id: string | undefined, data: Record<string, unknown>): Promise<void> {
    if (id) await this.journal?.commit(id, 'rollback', data)
  }

  /**
   * A version was deployed and passed its monitor (or no monitor was configured): it becomes
   * ready (if pending) and `live`; the version it replaces becomes `previous`.
   */
  async released(version: string, why: string): Promise<ModelVersion> {
    const doc = await this.markReady(version, why)
    await this.goLive(doc.version, why)
    return doc
  }

  /** pending → ready, after checking every artifact is intact in the store (else → failed, and throws). */
  async markReady(version: string, why: string): Promise<ModelVersion> {
    const doc = await this.require(version)
    if (doc.status === 'ready') return doc
    if (doc.status === 'failed') {
      throw new MlciError(ErrorCode.STATE_CONFLICT, `${doc.version} is failed (${doc.reason ?? 'no reason'}); it cannot be released.`, {
        hint: 'If it is good after all, a person can say so with `mlci registry mark <version> ready --reason …`.',
      })
    }
    // Fault injection for tests: killed once the version is proven, before it is recorded ready.
    if (process.env.MLCI_TEST_CRASH_AT === 'before-ready') process.kill(process.pid, 'SIGKILL')
    const broken = await brokenArtifacts(this.store, doc)
    if (broken) {
      await this.markFailed(doc.version, `cannot be released: ${broken}`)
      throw new MlciError(ErrorCode.STATE_CORRUPT, `${doc.version} cannot be released: ${broken}.`, { hint: 'Run `mlci build` again to store the artifacts.' })
    }
    return this.setStatus(doc.version, 'ready', why)
  }

  /** → failed (a no-op when it already is). `live`/`previous` stop naming it in the same write. */
  async markFailed(version: string, reason: string): Promise<boolean> {
    const doc = await this.registry.get(version)
    if (!doc || doc.status === 'failed') return false
    await this.setStatus(doc.version, 'failed', reason)
    return true
  }

  /** A person's repair (`mlci registry mark`): any status, ledgered with the reason. */
  async mark(version: string, status: VersionStatus, reason: string): Promise<ModelVersion> {
    const doc = await this.require(version)
    if (status === 'ready') {
      const broken = await brokenArtifacts(this.store, doc)
      if (broken) throw new MlciError(ErrorCode.STATE_CORRUPT, `${doc.version} cannot be marked ready: ${broken}.`, { hint: 'A version that cannot be restored from the store can never serve again.' })
    }
    return this.journaled('release.mark', { version: doc.version, from: doc.status, to: status, reason }, () =>
      this.registry.setStatus(doc.version, status, { reason, by: this.actor.by, runId: this.actor.runId, force: true }))
  }

  /**
   * Point `live` at a ready version (a release, or a rollback target the deployer brought up).
   * `previous` becomes the version `live` leaves when that one is ready; when `previous` would
   * equal the new `live` it is cleared instead (never previous = live).
   */
  async goLive(version: string, why: string): Promise<void> {
    const aliases = await this.registry.aliases()
    const target = await this.require(version)
    const live = aliases.live
    if (same(live, target.version)) {
      if (same(aliases.previous, target.version)) await this.move([{ alias: 'previous', to: undefined, expected: aliases.previous }], why)
      return
    }
    const leaving = live ? await this.registry.get(live) : undefined
    const moves: AliasChange[] = []
    if (leaving?.status === 'ready') moves.push({ alias: 'previous', to: leaving.version, expected: aliases.previous, reason: `${leaving.version} replaced by ${target.version}` })
    else if (same(aliases.previous, target.version)) moves.push({ alias: 'previous', to: undefined, expected: aliases.previous, reason: `${target.version} is live now` })
    // live moves last in the list, but all moves are one write: no reader sees a half move.
    moves.push({ alias: 'live', to: target.version, expected: live })
    await this.move(moves, why)
  }

  /** A non-release alias (a prerelease channel such as `rc`, `champion`) → a ready version. */
  async setAlias(alias: string, version: string, why: string): Promise<void> {
    if (alias === 'live') return this.goLive(version, why)
    const aliases = await this.registry.aliases()
    if (same(aliases[alias], version)) return
    await this.move([{ alias, to: version, expected: aliases[alias] }], why)
  }

  /** Stop `live` naming `version` (nothing vouches for what serves): used when no ready version is left. */
  async dropLive(version: string, why: string): Promise<boolean> {
    const aliases = await this.registry.aliases()
    if (!same(aliases.live, version)) return false
    await this.move([{ alias: 'live', to: undefined, expected: aliases.live }], why)
    return true
  }

  /** Unset aliases (`mlci registry repair`: they named a missing or non-ready version). */
  async unset(aliasNames: string[], why: string): Promise<void> {
    const aliases = await this.registry.aliases()
    const moves = aliasNames.filter((alias) => aliases[alias] !== undefined).map((alias) => ({ alias, to: undefined, expected: aliases[alias] }))
    if (moves.length) await this.move(moves, why)
  }

  private async setStatus(version: string, status: VersionStatus, reason: string): Promise<ModelVersion> {
    return this.journaled('release.status', { version, to: status, reason }, () =>
      this.registry.setStatus(version, status, { reason, by: this.actor.by, runId: this.actor.runId }))
  }

  private async move(moves: AliasChange[], why: string): Promise<void> {
    await this.journaled('release.aliases', { moves: moves.map(({ alias, expected, to }) => ({ alias, from: expected, to })), reason: why }, () =>
      this.registry.moveAliases(moves, { reason: why, by: this.actor.by, runId: this.actor.runId }))
  }

  private async journaled<T>(step: string, data: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    return this.journal ? this.journal.step(step, data, fn) : fn()
  }

  private async require(version: string): Promise<ModelVersion> {
    const doc = await this.registry.get(version).catch((error: unknown) => {
      throw MlciError.is(error) ? error : new MlciError(ErrorCode.STATE_CORRUPT, `Cannot read ${version} from the registry: ${errorMessage(error)}`)
    })
    if (!doc) throw new MlciError(ErrorCode.NOT_FOUND, `No model version ${version} in the registry.`, { hint: 'See `mlci versions`.' })
    return doc
  }
}

function same(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.split('+')[0] === b.split('+')[0]
}
