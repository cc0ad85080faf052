import { analysisDecision, errorMessage, monitorConfigError, type RunContext } from '@mlci/core'
import { tagVersion } from './git-tag.js'
import type { SemverOptions } from './options.js'
import type { RunState } from './record-version.js'

/**
 * The run succeeded. Core's release state has made the version ready (after its deploy and
 * monitor, or at once without a deployer). What is left here is the semver plugin's own policy:
 * the git tag, and without a deployer pointing `live` — or, for a prerelease channel, the
 * channel's alias — at the new version (through the release state, like every alias move).
 */
export async function releaseVersion(options: SemverOptions, state: RunState, ctx: RunContext, hasDeployer: boolean): Promise<void> {
  const owned = state.owned.get(ctx.runId)
  state.owned.delete(ctx.runId)
  const candidate = ctx.data.candidate
  if (ctx.dryRun || !candidate) return
  const doc = await ctx.registry.get(candidate.version)
  if (!doc) return
  if (owned === candidate.version && doc.status === 'ready') {
    ctx.log.info(`${doc.version} is ready.`)
    if (options.gitTag) await tagVersion(ctx, doc.version, doc.git?.commit, options.tagPrefix ?? 'model-v')
  }
  if (ctx.data.deployment || options.promote === false) return
  if (hasDeployer) {
    if (doc.status === 'pending') ctx.log.info(`${doc.version} was not released: the deploy phase did not run, so it stays pending.`)
    return
  }
  if (doc.status !== 'ready') return
  // A prerelease moves its channel's alias (`rc`), as npm dist-tags do; `live` stays on the release.
  const channel = ctx.options.channel
  const alias = channel && doc.version.split('+')[0].includes('-') ? channel : 'live'
  const before = (await ctx.registry.aliases())[alias]
  if (before?.split('+')[0] === doc.version.split('+')[0]) return
  await ctx.release.setAlias(alias, doc.version, alias === 'live' ? 'released (no deployer)' : `released on channel ${channel} (no deployer)`)
  ctx.log.info(`${alias} → ${doc.version}${before ? ` (was ${before})` : ''}`)
}

/** The run failed: a version it recorded and that is still pending is marked failed with the error. */
export async function failVersion(state: RunState, error: unknown, ctx: RunContext): Promise<void> {
  const owned = state.owned.get(ctx.runId)
  state.owned.delete(ctx.runId)
  if (ctx.dryRun || !owned) return
  const doc = await ctx.registry.get(owned)
  if (!doc || doc.status !== 'pending') return
  if (monitorConfigError(error)) {
    ctx.log.warn(`${doc.version} stays ${doc.status}: the monitor could not run (a configuration error), which says nothing about the model.`)
    return
  }
  // An analysis that could not measure (Error) or decided nothing (Inconclusive) is no verdict.
  const analysis = analysisDecision(ctx.data, error)
  if (analysis && !analysis.markFailed) {
    ctx.log.warn(`${doc.version} stays ${doc.status}: its analysis ended ${analysis.outcome}, not Failed. Fix the measurement and run \`mlci monitor\` again.`)
    return
  }
  const reason = ctx.redact(errorMessage(error))
  await ctx.release.markFailed(owned, reason)
  ctx.log.info(`${doc.version} marked failed: ${reason}`)
}
