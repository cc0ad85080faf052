import { analysisDecision, definePlugin, errorMessage, optionsSchema, packageVersion } from '@mlci/core'
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
 * The rollback policy: when core runs the rollback row — after a deploy or monitor failure (core
 * has marked the candidate failed), for `mlci rollback`, or while recovering a release a dead run
 * left open — pick the last known-good version, put it back through the deploy hook and report
 * it to the release state (`ctx.release.goLive`). Core journals the rollback and owns recovery.
 */
export default definePlugin({ name: NAME, options: optionsSchema<RollbackOptions>({ recover: 'boolean' }) }, (options) => {
  return {
    name: NAME,
    version,
    core: '^0.1.0',
    apply(mlci) {
      if (options.recover === false) {
        mlci.hooks.initialize.tap(NAME, (ctx) => { ctx.release.recoverAtStart = false })
      }

      mlci.hooks.rollback.tapPromise(NAME, async (request, ctx) => {
        const manual = request.trigger === 'manual'
        const recovery = request.trigger === 'recovery'
        const reason = manual
          ? `requested by \`${ctx.options.command ?? 'mlci rollback'}\``
          : recovery ? request.reason ?? 'recovering an interrupted release'
            : `${request.candidate ?? 'the release'} failed in ${request.failedPhase}: ${errorMessage(request.error)}`
        // An analysis that could not measure (Error) or decided nothing (Inconclusive) is no
        // verdict on the model: never mark it failed; roll back only if the monitor asks to.
        const analysis = manual || recovery ? undefined : analysisDecision(ctx.data, request.error)
        if (analysis && !analysis.rollback) {
          ctx.log.warn(`Not rolling back ${request.candidate ?? 'the release'}: the analysis ended ${analysis.outcome}, which says nothing about the model (the monitor's rollbackOn does not include it).`)
          return
        }
        await rollBack(mlci, ctx, {
          mode: manual ? 'manual' : recovery ? 'recovery' : 'auto',
          candidate: request.candidate, to: request.to, prefer: request.prefer, reason, allowSignatureChange: request.allowSignatureChange,
        })
      })
    },
  }
})
