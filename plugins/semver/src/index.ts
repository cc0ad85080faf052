import { ErrorCode, MlciError, definePlugin, num, optionsSchema, packageVersion } from '@mlci/core'
import { candidateFingerprint } from './fingerprint.js'
import { evaluateGate, gateTable, vetoOf } from './gate.js'
import { OPTIONS_SHAPE, checkOptions, type SemverOptions } from './options.js'
import { recordVersion, type RunState } from './record-version.js'
import { failVersion, releaseVersion } from './release.js'

const NAME = '@mlci/plugin-semver'
const VERSION = packageVersion(import.meta.url, '@mlci/plugin-semver')

/**
 * Metric gates against the live model (gate), semantic model versions bumped by what changed
 * (version), and the version's release or failure at the end of the run (done, failed).
 */
export default definePlugin({ name: NAME, options: optionsSchema<SemverOptions>(OPTIONS_SHAPE) }, (options) => {
  checkOptions(NAME, options)
  return {
    name: NAME,
    version: VERSION,
    core: '^0.1.0',
    apply(mlci) {
      const state: RunState = { phaseFingerprints: {}, owned: new Map() }
      // The phase cache's fingerprints (what the model was built from) reach plugins through the run events.
      mlci.on('phase:end', (record) => {
        if (record.fingerprint) state.phaseFingerprints[record.name] = record.fingerprint
        else delete state.phaseFingerprints[record.name]
      })

      mlci.hooks.gate.tapPromise(NAME, async (ctx) => {
        const rules = options.gate ?? {}
        if (!Object.keys(rules).length) return undefined
        if (!ctx.data.metrics && ctx.dryRun) {
          ctx.log.info('Dry run: no metrics recorded (evaluate did not run), so the gate was not judged.')
          return undefined
        }
        // A gate on a metric the training never writes is a config mistake (exit 2), not a veto.
        const recorded = Object.keys(ctx.data.metrics ?? {})
        const unknown = Object.keys(rules).filter((m) => !recorded.includes(m))
        if (ctx.data.metrics && unknown.length) {
          throw new MlciError(ErrorCode.CONFIG_INVALID, `The gate checks ${unknown.map((m) => `"${m}"`).join(', ')}, which the training does not record (it records: ${recorded.join(', ') || 'no metrics'}).`, {
            hint: `Fix the metric names in ${NAME}'s gate option, or make the training write them to its metrics file.`,
          })
        }
        const against = options.against ?? 'live'
        const live = await ctx.registry.resolve(against)
        const { artifacts = [], params, signature } = ctx.data
        const sameInputs = live?.fingerprint === candidateFingerprint({ phases: state.phaseFingerprints, artifacts, params, signature })
        const report = evaluateGate(rules, ctx.data.metrics ?? {}, live && { version: live.version, metrics: live.metrics ?? {}, sameInputs })
        ctx.data.gate = report
        for (const v of report.verdicts) {
          const liveText = v.live === undefined ? '' : ` (${against} ${num(v.live)})`
          ctx.log.info(`${v.metric} ${v.candidate === undefined ? 'missing' : num(v.candidate)}${liveText} — ${v.threshold}: ${v.pass ? 'pass' : 'FAIL'}${v.reason ? ` (${v.reason})` : ''}`)
        }
        if (report.passed) ctx.log.debug(gateTable(report))
        return vetoOf(report)
      })

      mlci.hooks.version.tapPromise(NAME, (proposal, ctx) => recordVersion(options, state, proposal, ctx))

      mlci.hooks.done.tapPromise(NAME, (_record, ctx) => releaseVersion(options, state, ctx, mlci.hooks.deploy.taps.length > 0))
      mlci.hooks.failed.tapPromise(NAME, (error, _record, ctx) => failVersion(state, error, ctx))
    },
  }
})

export { evaluateGate, gateTable } from './gate.js'
export { nextVersion, latestReady } from './next-version.js'
export { decideBump, signatureChange } from './bump-policy.js'
export type { SemverOptions, MetricRule, BumpInfo, BumpKind, MetricChange } from './options.js'
