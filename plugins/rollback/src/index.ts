import { analysisDecision, definePlugin, errorMessage, optionsSchema, selectPhases, type Mlci, type PhaseContext, type RunContext, packageVersion } from '@mlci/core'
import { asRollbackPhase, pendingPhases } from './phase-events.js'
import { recover } from './recover.js'
import { ReleaseJournal } from './release-journal.js'
import { rollBack } from './rollback.js'

const NAME = '@mlci/plugin-rollback'
const version = packageVersion(import.meta.url, '@mlci/plugin-rollback')

export interface RollbackOptions {
  /** Recover an interrupted release at the start of each run (default true). */
  recover?: boolean
}

/** What `mlci rollback [--to v]` passes in the run options. */
export interface ManualRollback {
  to?: string
}

/**
 * The rollback policy: on a deploy or monitor failure (core has marked the candidate failed),
 * pick the last known-good version, put it back through the deploy hook and report it to the
 * release state (`ctx.release.goLive`); recover releases a dead run left unfinished
 * (recover.ts). `mlci rollback` is core's rollback row calling the same tap.
 */
export default definePlugin({ name: NAME, options: optionsSchema<RollbackOptions>({ recover: 'boolean' }) }, (options) => {
  const releases = new ReleaseJournal()
  /** Runs whose recovery already rolled back (a `mlci rollback` then has nothing more to do). */
  const recoveredTo = new Map<string, string>()
  return {
    name: NAME,
    version,
    core: '^0.1.0',
    apply(mlci) {
      mlci.hooks.initialize.tapPromise(NAME, async (runCtx) => {
        const ctx: PhaseContext = { ...runCtx, phase: 'rollback', log: runCtx.log.child({ phase: 'rollback', plugin: NAME }) }
        const recovered = options.recover === false ? undefined
          : await asRollbackPhase(mlci, ctx, 'recovering an interrupted release', () => releases.whileRecovering(ctx, () => recover(mlci, ctx)), (r) => r !== undefined)
        if (recovered?.outcome === 'rolled-back') recoveredTo.set(runCtx.runId, recovered.version)
        if (!runCtx.dryRun && willRun(mlci, runCtx, 'deploy')) await releases.start(runCtx)
      })

      mlci.hooks.report.tapPromise(NAME, async (record) => {
        const extra = pendingPhases.get(record.id)
        pendingPhases.delete(record.id)
        if (extra) record.phases.unshift(...extra)
        return record
      })

      // Recovery rule 1 needs to know whether a monitor was going to judge the release.
      releases.attach(mlci, (ctx) => willRun(mlci, ctx, 'monitor'))
      mlci.hooks.done.tapPromise(NAME, (_record, ctx) => releases.end(ctx, 'released'))
      mlci.hooks.failed.tapPromise(NAME, async (_error, _record, ctx) => {
        const open = releases.open(ctx)
        if (open) ctx.log.warn(`The release of ${open} was interrupted; the next \`mlci build\` or \`mlci rollback\` rolls it back.`)
        releases.forget(ctx)
      })

      mlci.hooks.rollback.tapPromise(NAME, async (request, ctx) => {
        const manual = request.failedPhase === 'manual'
        const recovered = recoveredTo.get(ctx.runId)
        recoveredTo.delete(ctx.runId)
        if (manual && recovered && (!request.to || request.to === recovered)) {
          ctx.log.info(`Recovery already rolled back to ${recovered}; nothing more to do.`)
          return
        }
        const reason = manual
          ? `requested by \`${ctx.options.command ?? 'mlci rollback'}\``
          : `${request.candidate ?? 'the release'} failed in ${request.failedPhase}: ${errorMessage(request.error)}`
        // An analysis that could not measure (Error) or decided nothing (Inconclusive) is no
        // verdict on the model: never mark it failed; roll back only if the monitor asks to.
        const analysis = manual ? undefined : analysisDecision(ctx.data, request.error)
        if (analysis && !analysis.rollback) {
          ctx.log.warn(`Not rolling back ${request.candidate ?? 'the release'}: the analysis ended ${analysis.outcome}, which says nothing about the model (the monitor's rollbackOn does not include it).`)
          await releases.end(ctx, 'unproven')
          return
        }
        try {
          await rollBack(mlci, ctx, { mode: manual ? 'manual' : 'auto', candidate: request.candidate, to: request.to, reason, allowSignatureChange: request.allowSignatureChange })
          await releases.end(ctx, 'rolled-back')
        } catch (error) {
          await releases.end(ctx, 'rollback-failed')
          throw error
        }
      })
    },
  }
})

/** Whether the run executes `phase` (some plugin taps it and --only/--skip keep it). */
function willRun(mlci: Mlci, ctx: RunContext, phase: 'deploy' | 'monitor'): boolean {
  if (!mlci.hooks[phase].taps.length) return false
  return selectPhases(ctx.options.only, ctx.options.skip).some((p) => p.name === phase)
}
