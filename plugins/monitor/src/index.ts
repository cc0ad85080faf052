import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, MlciError, definePlugin, errorMessage, optionsSchema, type AnalysisReport, type PhaseContext, packageVersion } from '@mlci/core'
import { runAnalysis } from './analysis.js'
import { OPTIONS_SHAPE, normalizeOptions, resolveSources, type MonitorOptions } from './options.js'
import { analysisError, sampleLine } from './report.js'
import { Measurer } from './sources.js'

export type { MetricOptions, MonitorOptions } from './options.js'
export { compileCondition } from './condition.js'
export { parsePrometheusText } from './prometheus-text.js'

const NAME = '@mlci/plugin-monitor'
const version = packageVersion(import.meta.url, '@mlci/plugin-monitor')
/** Analyses kept per version in the registry (oldest dropped first). */
const KEEP_REPORTS = 20

/**
 * Analyses the live version after deploy (and in `mlci monitor`) with Argo Rollouts semantics.
 * A failed, inconclusive or no-data analysis throws, which fails the monitor phase; the core then
 * runs the rollback hook. Nothing but a successful analysis lets a version through.
 */
export default definePlugin({ name: NAME, options: optionsSchema<MonitorOptions>(OPTIONS_SHAPE, { required: ['metrics'] }) }, (options, instance) => {
  // The instance name (core's `name` convention) is also the analysis's name.
  const normalized = normalizeOptions(NAME, { ...options, name: instance.name })
  return {
    name: NAME,
    version,
    core: '^0.1.0',
    apply(mlci) {
      // A missing or malformed probe CSV or an unset Prometheus credential is found before
      // anything is deployed, not after (a monitor-phase error would trigger the rollback hook).
      // Core calls it only when the monitor phase runs in this command (verify-scope.ts).
      if (normalized.sources.some((m) => m.source.kind === 'probe' || (m.source.kind === 'prometheus-server' && m.source.auth))) {
        mlci.hooks.verify.tapPromise(NAME, async (ctx) => {
          const measurer = new Measurer(resolveSources(normalized.sources, ctx.cwd, normalized.timeoutMs), { baseUrl: '', timeoutMs: 0 })
          await loadDatasets(measurer)
          prepareAuth(measurer, ctx.env)
        })
      }
      mlci.hooks.monitor.tapPromise(NAME, async (ctx) => {
        // Nothing was released (the version was already live): it was analysed when it was.
        // `mlci monitor` analyses the live version on demand.
        if (ctx.data.deployment?.unchanged) {
          ctx.log.info(`${ctx.data.deployment.version} was already live; no new release to analyse (run \`mlci monitor\` to analyse it now).`)
          return
        }
        const target = await resolveTarget(ctx, normalized.url)
        const { plan } = normalized
        const measurer = new Measurer(resolveSources(normalized.sources, ctx.cwd, normalized.timeoutMs), { baseUrl: target.url, timeoutMs: normalized.timeoutMs, signal: ctx.signal, version: target.version })
        await loadDatasets(measurer)
        prepareAuth(measurer, ctx.env)
        ctx.log.info(`analysing ${target.version ?? 'the live server'} at ${target.url}: ${plan.count} sample(s) every ${plan.intervalMs} ms${plan.initialDelayMs ? ` after ${plan.initialDelayMs} ms` : ''} (${plan.metrics.map((m) => m.name).join(', ')})`)
        let report: AnalysisReport
        try {
          report = await runAnalysis(plan, target.version ?? 'unknown', {
            baseline: measurer.needsBaseline ? () => measurer.baseline() : undefined,
            measure: (index) => measurer.measure(index),
            sleep: (ms) => sleep(ms, undefined, { signal: ctx.signal }),
            onSample: (sample, count) => {
              const line = sampleLine(sample, count)
              ctx.log.status(line)
              ctx.log.progress(sample.index / count, `sample ${sample.index}/${count}`)
              if (sample.verdict === 'success') ctx.log.info(line)
              else ctx.log.warn(line)
            },
          })
        } catch (error) {
          if (ctx.signal.aborted) throw new MlciError(ErrorCode.INTERRUPTED, 'Interrupted during the analysis.')
          throw error
        }
        report.url = target.url
        ;(ctx.data.analysis ??= []).push(report)
        await recordInRegistry(ctx, report, target.version)
        if (report.verdict !== 'success') throw analysisError(report)
        ctx.log.info(`analysis "${plan.name}" of ${report.version} succeeded: ${report.samples.length} sample(s)`)
      })
    },
  }
})

async function loadDatasets(measurer: Measurer): Promise<void> {
  try {
    await measurer.prepare()
  } catch (error) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Cannot load the probe dataset: ${errorMessage(error)}`, {
      hint: 'Fix the probe `csv` path (relative to the project root) or the file: a header of feature names plus the label column, then labelled rows.',
    })
  }
}

function prepareAuth(measurer: Measurer, env: NodeJS.ProcessEnv): void {
  try {
    measurer.prepareAuth(env)
  } catch (error) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Cannot authenticate to Prometheus: ${errorMessage(error)}`, {
      hint: 'Export the variable named in the metric\'s prometheus.auth (bearerTokenEnv, usernameEnv/passwordEnv) before running mlci.',
    })
  }
}

/**
 * The URL and version to analyse: options, then what the deployer published, then the registry's
 * `live`. A run without a candidate (`mlci monitor`) analyses the live version, and names it as
 * the run's candidate: the core hands that to the rollback hook, which then leaves (and marks
 * failed) exactly the version that failed its analysis.
 */
async function resolveTarget(ctx: PhaseContext, url: string | undefined): Promise<{ url: string; version?: string }> {
  const deployment = ctx.data.deployment
  const base = url ?? deployment?.url
  if (!base) throw missingUrl(ctx)
  let version = ctx.data.candidate?.version ?? deployment?.version
  version ??= await ctx.registry.resolve('live').then((v) => v?.version, () => undefined)
  if (version && !ctx.data.candidate) ctx.data.candidate = { version, bump: 'none', reason: 'analysing the live version', reused: true }
  return { url: base, version }
}

/**
 * No server to analyse is a configuration error (exit 2), not a verdict on the model: core
 * neither rolls back nor marks anything failed for it. It names the key, the plugin instance and
 * the config file, because that is where the fix goes.
 */
function missingUrl(ctx: PhaseContext): MlciError {
  const file = ctx.config.file ?? 'your mlci config'
  const plugin = ctx.plugin ?? NAME
  const deployed = ctx.phases?.includes('deploy') ?? false
  return new MlciError(ErrorCode.PLUGIN_OPTIONS, `No server to monitor: \`url\` of ${plugin} is not set in ${file}, and ${deployed ? 'the deployer published no URL in this run' : 'this run deploys nothing that could publish one'}.`, {
    hint: `Set the model server's base URL in ${file}, e.g. monitor({ url: 'http://127.0.0.1:8731', … }): \`mlci monitor\` deploys nothing, so it needs \`url\`. In \`mlci build\` a deployer that publishes its URL (ctx.data.deployment.url) is enough.`,
  })
}

/** Keep the analysis with the version's lineage; a registry problem must not hide the verdict. */
async function recordInRegistry(ctx: PhaseContext, report: AnalysisReport, version: string | undefined): Promise<void> {
  if (!version) {
    ctx.log.warn('No candidate or live version is known: the analysis is recorded in the run record only.')
    return
  }
  try {
    const entry = await ctx.registry.get(version)
    if (!entry) {
      ctx.log.warn(`Version ${version} is not in the registry: the analysis is recorded in the run record only.`)
      return
    }
    await ctx.registry.update(version, { analysis: [...(entry.analysis ?? []), report].slice(-KEEP_REPORTS) })
  } catch (error) {
    ctx.log.warn(`Could not record the analysis in the registry entry of ${version}: ${errorMessage(error)}`)
  }
}
