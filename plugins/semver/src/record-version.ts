import { ErrorCode, MlciError, gitState, type ArtifactRef, type ModelVersion, type PhaseContext, type VersionProposal } from '@mlci/core'
import { isAbandoned } from './abandoned.js'
import { decideBump } from './bump-policy.js'
import { candidateFingerprint, isStable, shortFingerprint } from './fingerprint.js'
import { latestReady, nextVersion } from './next-version.js'
import type { SemverOptions } from './options.js'
import { artifactsStored, storeArtifacts } from './store-artifacts.js'

/** Per-Mlci state the taps share: phase fingerprints seen, and the version each run owns. */
export interface RunState {
  phaseFingerprints: Record<string, string>
  /** runId → the version this run created (or resumed); only those are released or failed by it. */
  owned: Map<string, string>
}

/**
 * The version tap: reuse a ready version with the same inputs, resume one a crashed run left
 * pending, or decide the next version, store the artifacts, and create it `pending`.
 * Under --dry-run it computes and logs, and writes nothing.
 */
export async function recordVersion(options: SemverOptions, state: RunState, proposal: VersionProposal | undefined, ctx: PhaseContext): Promise<VersionProposal | undefined> {
  const { artifacts = [], metrics = {}, params, signature } = ctx.data
  if (!artifacts.length && !Object.keys(metrics).length) {
    if (ctx.dryRun) {
      ctx.log.info('Dry run: nothing was trained in this run, so the version is decided when it is built.')
      return proposal
    }
    throw new MlciError(ErrorCode.NOT_FOUND, 'Nothing to version: this run produced no artifacts and no metrics.', {
      hint: 'Add a trainer plugin (train and evaluate phases), or skip this phase with --skip version.',
    })
  }
  const fingerprint = candidateFingerprint({ phases: state.phaseFingerprints, artifacts, params, signature })
  const versions = await ctx.registry.list()

  // The same model with other server code or deployer options is a new release ("server changed").
  const deployable = ctx.data.deployable
  const sameModel = versions.filter((v) => v.status === 'ready' && v.fingerprint === fingerprint).at(-1)
  const same = versions.filter((v) => v.status === 'ready' && v.fingerprint === fingerprint && sameDeployable(v, deployable)).at(-1)
  if (same) {
    ctx.log.info(`Same inputs as ${same.version} (ready): no new version recorded.`)
    if (!ctx.dryRun) await healStore(ctx, same, artifacts)
    return { version: same.version, bump: 'none', reused: true, reason: `same inputs as ${same.version} (ready): no new version`, previous: same.version, fingerprint }
  }
  // A dry run decides exactly as the real build would (the same resume), and only writes nothing.
  const { resumed, abandoned } = await findAbandoned(ctx, versions, fingerprint)
  if (ctx.dryRun) {
    for (const version of abandoned) ctx.log.info(`Dry run: would mark ${version.version} failed (left pending by run ${version.runId}, whose process is gone).`)
  } else {
    await failAbandoned(ctx, abandoned)
  }
  if (resumed) {
    const semverExtra = resumed.extra?.semver as { bump?: string; previous?: string } | undefined
    const result: VersionProposal = { version: resumed.version, bump: semverExtra?.bump ?? 'none', reason: `resumed ${resumed.version}, left pending by run ${resumed.runId}`, previous: semverExtra?.previous, fingerprint }
    if (ctx.dryRun) {
      ctx.log.info(`Dry run: would resume ${resumed.version} (left pending by run ${resumed.runId}; same inputs); nothing written.`)
      return result
    }
    ctx.log.warn(`Resuming ${resumed.version}: run ${resumed.runId} recorded it and then stopped (process ${resumed.createdBy?.pid} on ${resumed.createdBy?.host} is gone); same inputs.`)
    state.owned.set(ctx.runId, resumed.version)
    return result
  }

  // A version proposed by a tap before this one is recorded as given. A proposal carrying a
  // fingerprint was made by a versioner in an earlier run (watch mode carries run data over): ignored.
  const given = proposal?.version && !proposal.fingerprint ? proposal : undefined
  const base = latestReady(versions)
  const channel = ctx.options.channel
  const decided = given
    ? { bump: given.bump, reason: given.reason }
    : sameModel
      ? { bump: 'patch' as const, reason: `server changed (${deployable?.summary ?? deployable?.by ?? 'deployer'}); same model as ${sameModel.version}` }
      : await decideBump(options, base, { metrics, params, signature, artifacts })
  const bump = given?.version ? decided.bump : !base ? 'initial' : channel ? 'prerelease' : decided.bump
  const reason = channel && !given?.version ? `${decided.reason} (channel ${channel})` : decided.reason
  // `+data.<hash>` names the training data's content only (params and code show in the lineage
  // and in `mlci diff`); without declared data there is nothing to name, so no build metadata.
  const dataset = ctx.data.dataset
  const build = options.buildMetadata === false || !dataset?.files ? undefined : `data.${shortFingerprint(dataset.digest)}`
  const propose = (all: ModelVersion[]) => given?.version
    ?? nextVersion({ versions: all, base: base?.version, bump: decided.bump as 'major' | 'minor' | 'patch', first: options.first ?? '0.1.0', channel, build })
  const result: VersionProposal = { version: propose(versions), bump, reason, previous: base?.version, fingerprint }
  if (ctx.dryRun) {
    ctx.log.info(`Dry run: would record ${result.version} (${bump}: ${reason}); nothing written.`)
    return result
  }

  await storeArtifacts(ctx, artifacts)
  if (process.env.MLCI_TEST_CRASH_AT === 'registry-write') process.kill(process.pid, 'SIGKILL')
  const git = await gitState(ctx.cwd, ctx.signal)
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.registry.create({
        version: result.version, runId: ctx.runId, git, fingerprint,
        fingerprints: stableFingerprints(state.phaseFingerprints),
        params, metrics, artifacts, signature, deployable, dataset: dataset?.files ? dataset : undefined,
        // `gated` tells `mlci versions` which metrics matter for this model.
        extra: { semver: { bump, reason, previous: base?.version, channel, gated: Object.keys(options.gate ?? {}) } },
      })
      break
    } catch (error) {
      // Another process took the number first (a shared registry): take the next free one.
      if (!(MlciError.is(error) && error.code === ErrorCode.STATE_CONFLICT) || attempt >= 5 || given) throw error
      result.version = propose(await ctx.registry.list())
    }
  }
  state.owned.set(ctx.runId, result.version)
  ctx.log.info(`Recorded ${result.version} (pending): ${bump} — ${reason}`)
  return result
}

/**
 * Versions left `pending` by a crashed run: one with exactly these inputs (and its artifacts
 * stored) is to be resumed; the others are to be marked failed, so the registry needs no manual
 * cleanup. Reads only: the dry run makes the same decision.
 */
async function findAbandoned(ctx: PhaseContext, versions: ModelVersion[], fingerprint: string): Promise<{ resumed?: ModelVersion; abandoned: ModelVersion[] }> {
  let resumed: ModelVersion | undefined
  const abandoned: ModelVersion[] = []
  for (const version of versions.filter((v) => isAbandoned(v, ctx.runId, ctx.releaseLock?.held))) {
    if (!resumed && version.fingerprint === fingerprint && sameDeployable(version, ctx.data.deployable) && (await artifactsStored(ctx, version.artifacts)).length === 0) resumed = version
    else abandoned.push(version)
  }
  return { resumed, abandoned }
}

async function failAbandoned(ctx: PhaseContext, abandoned: ModelVersion[]): Promise<void> {
  for (const version of abandoned) {
    const reason = `abandoned: run ${version.runId} stopped before releasing it (process ${version.createdBy?.pid} on ${version.createdBy?.host} is gone)`
    await ctx.release.markFailed(version.version, reason)
    ctx.log.warn(`${version.version} marked failed — ${reason}.`)
  }
}

/** Whether a version was released with this deployable (versions recorded without one match none). */
function sameDeployable(version: ModelVersion, deployable: ModelVersion['deployable']): boolean {
  return (version.deployable?.fingerprint ?? undefined) === (deployable?.fingerprint ?? undefined)
}

function stableFingerprints(all: Record<string, string>): Record<string, string> | undefined {
  const stable = Object.entries(all).filter(([, fp]) => isStable(fp))
  return stable.length ? Object.fromEntries(stable) : undefined
}

/**
 * A reused version whose blobs were pruned from the store, or damaged in it, gets them back from
 * this build (same digests only): identical bytes heal the store instead of trusting the damage.
 */
async function healStore(ctx: PhaseContext, version: ModelVersion, built: ArtifactRef[]): Promise<void> {
  const rebuilt: ArtifactRef[] = []
  for (const a of built) {
    if (!version.artifacts?.some((b) => b.path === a.path && b.digest === a.digest)) continue
    if (!(await ctx.store.intact(a.digest).catch(() => false))) rebuilt.push(a)
  }
  if (!rebuilt.length) return
  await storeArtifacts(ctx, rebuilt)
  ctx.log.info(`Restored ${rebuilt.map((a) => a.path).join(', ')} of ${version.version} in the store from this build (identical bytes).`)
}
