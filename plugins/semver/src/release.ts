import { ErrorCode, MlciError, analysisDecision, errorMessage, type RunContext } from '@mlci/core'
import { tagVersion } from './git-tag.js'
import type { SemverOptions } from './options.js'
import type { RunState } from './record-version.js'
import { artifactsStored } from './store-artifacts.js'

/**
 * The run succeeded: the version it recorded becomes `ready` (only if its artifacts are in the
 * store). With a deployer, the deployer has moved `live`; without one, `live` moves here.
 */
export async function releaseVersion(options: SemverOptions, state: RunState, ctx: RunContext, hasDeployer: boolean): Promise<void> {
  const owned = state.owned.get(ctx.runId)
  state.owned.delete(ctx.runId)
  const candidate = ctx.data.candidate
  if (ctx.dryRun || !candidate) return
  let doc = await ctx.registry.get(candidate.version)
  if (!doc) return
  if (owned === candidate.version && doc.status === 'pending') {
    const missing = await artifactsStored(ctx, doc.artifacts)
    if (missing.length) {
      await ctx.registry.update(doc.version, { status: 'failed', reason: `artifacts missing from the store: ${missing.join(', ')}` })
      ctx.log.error(`${doc.version} marked failed: its artifacts (${missing.join(', ')}) are missing from the store.`)
      return
    }
    if (process.env.MLCI_TEST_CRASH_AT === 'before-ready') process.kill(process.pid, 'SIGKILL')
    doc = await ctx.registry.update(doc.version, { status: 'ready' })
    ctx.log.info(`${doc.version} is ready.`)
    if (options.gitTag) await tagVersion(ctx, doc.version, doc.git?.commit, options.tagPrefix ?? 'model-v')
  }
  if (doc.status !== 'ready' || ctx.data.deployment || options.promote === false) return
  if (hasDeployer) {
    ctx.log.info(`${doc.version} was not promoted to live: the deploy phase did not run.`)
    return
  }
  // A prerelease moves its channel's alias (`rc`), as npm dist-tags do; `live` stays on the release.
  const channel = ctx.options.channel
  if (channel && doc.version.split('+')[0].includes('-')) await promote(ctx, channel, doc.version, `released on channel ${channel} (no deployer)`)
  else await promote(ctx, 'live', doc.version, 'released (no deployer)')
}

/** Point `alias` at `version` (and, for `live`, `previous` at the old live) by compare-and-swap. */
async function promote(ctx: RunContext, alias: string, version: string, reason: string): Promise<void> {
  const by = ctx.options.command ?? 'mlci build'
  for (let attempt = 1; ; attempt++) {
    const aliases = await ctx.registry.aliases()
    const current = aliases[alias]
    if (current?.split('+')[0] === version.split('+')[0]) return
    try {
      await ctx.registry.moveAlias(alias, version, { expected: current, reason, by, runId: ctx.runId })
    } catch (error) {
      if (MlciError.is(error) && error.code === ErrorCode.STATE_CONFLICT && attempt < 3) continue
      throw error
    }
    ctx.log.info(`${alias} → ${version}${current ? ` (was ${current})` : ''}`)
    if (current && alias === 'live') {
      await ctx.registry.moveAlias('previous', current, { expected: aliases.previous, reason: `${version} released`, by, runId: ctx.runId })
        .catch((error) => ctx.log.warn(`previous not moved: ${errorMessage(error)}`))
    }
    return
  }
}

/** The run failed: a version it recorded is marked failed with the error (unless it already is). */
export async function failVersion(state: RunState, error: unknown, ctx: RunContext): Promise<void> {
  const owned = state.owned.get(ctx.runId)
  state.owned.delete(ctx.runId)
  if (ctx.dryRun || !owned) return
  const doc = await ctx.registry.get(owned)
  if (!doc || doc.status === 'failed') return
  // An analysis that could not measure (Error) or decided nothing (Inconclusive) is no verdict.
  const analysis = analysisDecision(ctx.data, error)
  if (analysis && !analysis.markFailed) {
    ctx.log.warn(`${doc.version} stays ${doc.status}: its analysis ended ${analysis.outcome}, not Failed. Fix the measurement and run \`mlci monitor\` again.`)
    return
  }
  const reason = ctx.redact(errorMessage(error))
  await ctx.registry.update(owned, { status: 'failed', reason })
  ctx.log.info(`${doc.version} marked failed: ${reason}`)
}
