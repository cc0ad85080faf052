import {
  ErrorCode, MlciError, errorMessage, ineligibleTarget,
  type Mlci, type ModelVersion, type PhaseContext, type RollbackReport,
} from '@mlci/core'
import { brokenArtifacts, orderTargets, type RollbackMode } from './targets.js'

const key = (version: string) => version.split('+')[0]

export interface RollbackArgs {
  mode: RollbackMode
  /** The version being left: the failed candidate, or the live version for a manual rollback. */
  candidate?: string
  /** Explicit target (`mlci rollback --to`): only this one is tried. */
  to?: string
  /** Tried first (recovery: what was live before the interrupted release). */
  prefer?: string
  /** One line: why, for the ledger and the candidate's failure reason. */
  reason: string
  /** A person asked for `to` knowing its signature differs. */
  allowSignatureChange?: boolean
}

/**
 * The rollback policy. Deployment-specific work belongs to the deployer: this picks a target
 * (ready, not the version being left, same signature unless a person allowed otherwise),
 * checks its artifacts are intact in the store, asks the deploy hook to bring it up (the
 * deployer waits for health) and reports it to the release state, which points `live` at it.
 * A target that is broken or that the deployer cannot bring up is skipped with a warning; when
 * none is left, it throws MLCI_ROLLBACK_FAILED and whatever runs stays.
 */
export async function rollBack(mlci: Mlci, ctx: PhaseContext, args: RollbackArgs): Promise<RollbackReport> {
  const registry = ctx.registry
  const [aliases, versions] = await Promise.all([registry.aliases(), registry.list()])
  const from = args.candidate ?? aliases.live
  const report: RollbackReport = { from, ok: false, reason: args.reason }
  ctx.data.rollback = report

  // Core marks a failed candidate failed before the rollback row runs (also in recovery).
  // Signatures are compared with what clients talk to: the live version (a release never moves
  // `live` before it is proven), else — when a failure unset it — the last version it named.
  const clientsUse = aliases.live ?? (await registry.ledger()).filter((m) => m.alias === 'live' && !m.kind).map((m) => m.to ?? m.from).at(-1) ?? from
  const clients = clientsUse ? versions.find((v) => key(v.version) === key(clientsUse)) : undefined

  let targets: ModelVersion[]
  if (args.to) {
    const wanted = versions.find((v) => key(v.version) === key(args.to!.replace(/^v(?=\d)/, '')))
    const why = wanted && (wanted.status !== 'ready' ? `it is ${wanted.status}${wanted.reason ? ` (${wanted.reason})` : ''}` : ineligibleTarget(wanted, { clientsUse: clients, allowSignatureChange: args.allowSignatureChange }))
    if (!wanted || why) {
      throw new MlciError(ErrorCode.USAGE, wanted ? `Cannot roll back to ${wanted.version}: ${why}.` : `Cannot roll back to ${args.to}: no such version in the registry.`, {
        hint: why?.includes('signature')
          ? 'Clients of the live version would send requests it rejects. If that is intended, add --allow-signature-change.'
          : `Ready versions: ${versions.filter((v) => v.status === 'ready').map((v) => v.version).join(', ') || 'none'} (see \`mlci versions\`).`,
      })
    }
    targets = [wanted]
  } else {
    const ordered = orderTargets({ mode: args.mode, candidate: args.candidate ?? (args.mode === 'manual' ? aliases.live : undefined), prefer: args.prefer, aliases, versions })
    targets = []
    // The version being left is never a target: a failure that names no candidate leaves what is
    // live, and "rolling back" to it would report a rollback that changed nothing. (Recovery
    // names the dead run's candidate; its `prefer` may be live on purpose: bring it up again.)
    const leaving = args.mode === 'recovery' ? args.candidate : from
    for (const target of ordered) {
      const why = ineligibleTarget(target, { leaving, clientsUse: clients })
      if (why) ctx.log.warn(`Not rolling back to ${target.version}: ${why}.`)
      else targets.push(target)
    }
  }

  const skipped: string[] = []
  for (const target of targets) {
    const broken = await brokenArtifacts(ctx.store, target)
    if (broken) {
      skipped.push(`${target.version}: ${broken}`)
      ctx.log.warn(`Skipping ${target.version}: ${broken}.`)
      continue
    }
    const liveBefore = (await registry.aliases()).live
    const note = args.mode === 'manual' ? `manual rollback${from ? ` from ${from}` : ''}` : `rollback: ${args.reason}`
    try {
      ctx.log.info(`Rolling back to ${target.version}${from && from !== target.version ? ` (from ${from})` : ''}…`)
      await ctx.release.rollingBackTo(target.version)
      if (mlci.hooks.deploy.taps.length) {
        await mlci.hooks.deploy.promise({ version: target.version, reason: 'rollback', record: target, note }, ctx)
      } else {
        ctx.log.warn('No deployer taps the deploy hook: only the live alias is moved.')
      }
    } catch (error) {
      skipped.push(`${target.version}: ${errorMessage(error)}`)
      ctx.log.warn(`Skipping ${target.version}: the deployer could not bring it up (${errorMessage(error)}).`)
      continue
    }
    await ctx.release.goLive(target.version, note)
    Object.assign(report, { to: target.version, ok: true })
    ctx.log.info(liveBefore === target.version
      ? `${target.version} stays live and answers (live never left it).`
      : `Rolled back: live is ${target.version} again.`)
    return report
  }

  const error = new MlciError(ErrorCode.ROLLBACK_FAILED, targets.length
    ? `No version to roll back to: all ${targets.length} candidate(s) were skipped.`
    : `No version to roll back to: there is no other ready version${args.candidate ? ` than ${args.candidate}` : ''}.`, {
    details: skipped.length ? skipped.map((s) => `- ${s}`).join('\n') : undefined,
    hint: 'Whatever was running was left alone. Fix the broken versions or release a good one with `mlci build`; `mlci rollback --to <version>` picks one by hand.',
  })
  report.error = error.message
  throw error
}
