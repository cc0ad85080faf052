import { ErrorCode, MlciError } from './errors.js'
import type { PhaseContext } from './context.js'
import type { Hooks } from './hooks.js'

export const PHASE_NAMES = ['verify', 'test', 'validate', 'train', 'evaluate', 'gate', 'version', 'deploy', 'monitor'] as const
export type LifecyclePhase = (typeof PHASE_NAMES)[number]
export type PhaseName = LifecyclePhase | 'rollback'

/** One row of the lifecycle. `run()` loops over these; it has no phase-specific branches. */
export interface PhaseRow {
  name: PhaseName
  /** Runs under --dry-run (side-effect free, or the taps honour ctx.dryRun). */
  dryRun: boolean
  /** Skipped with state "cached" when its fingerprint matches a stored entry. */
  cacheable: boolean
  /** Phases whose fingerprints feed this one's (a change upstream invalidates it). */
  dependsOn: PhaseName[]
  /** `stop`: the run fails. `rollback`: the rollback row runs, then the run fails. */
  onFailure: 'stop' | 'rollback'
  /** Collect every tap's error instead of stopping at the first (verify). */
  collectErrors?: boolean
  /** Call the hook and fold its result into the run data. */
  invoke(hooks: Hooks, ctx: PhaseContext): Promise<void>
  summary: string
}

export const PHASES: readonly PhaseRow[] = Object.freeze([
  {
    name: 'verify', dryRun: true, cacheable: false, dependsOn: [], onFailure: 'stop', collectErrors: true,
    summary: 'check tools, engines and credentials before any side effect',
    invoke: (h, ctx) => h.verify.promise(ctx),
  },
  {
    name: 'test', dryRun: true, cacheable: true, dependsOn: [], onFailure: 'stop',
    summary: 'run the project tests',
    invoke: (h, ctx) => h.test.promise(ctx),
  },
  {
    // Data checks: cacheable on the data they read (declare it), before any training time is
    // spent, and recorded apart from the code's tests. Not verify: that is an uncached preflight
    // of tools and credentials, and a data check that reads gigabytes must not rerun every build.
    name: 'validate', dryRun: true, cacheable: true, dependsOn: [], onFailure: 'stop',
    summary: 'check the training data',
    invoke: (h, ctx) => h.validate.promise(ctx),
  },
  {
    name: 'train', dryRun: false, cacheable: true, dependsOn: [], onFailure: 'stop',
    summary: 'train the model',
    invoke: (h, ctx) => h.train.promise(ctx),
  },
  {
    name: 'evaluate', dryRun: false, cacheable: true, dependsOn: ['train'], onFailure: 'stop',
    summary: 'record the candidate metrics',
    invoke: (h, ctx) => h.evaluate.promise(ctx),
  },
  {
    name: 'gate', dryRun: true, cacheable: false, dependsOn: ['evaluate'], onFailure: 'stop',
    summary: 'compare metrics to thresholds and to the live model',
    async invoke(h, ctx) {
      const veto = await h.gate.promise(ctx)
      if (veto) throw new MlciError(ErrorCode.VETOED, `Vetoed: ${veto.reason}`, { details: veto.details, phase: 'gate', plugin: veto.plugin })
    },
  },
  {
    name: 'version', dryRun: true, cacheable: false, dependsOn: ['train', 'evaluate'], onFailure: 'stop',
    summary: 'decide and record the model version',
    async invoke(h, ctx) {
      const proposal = await h.version.promise(ctx.data.candidate, ctx)
      if (proposal) ctx.data.candidate = proposal
    },
  },
  {
    name: 'deploy', dryRun: false, cacheable: false, dependsOn: ['version'], onFailure: 'rollback',
    summary: 'put the candidate live',
    async invoke(h, ctx) {
      const version = ctx.data.candidate?.version
      if (!version) {
        if (h.deploy.taps.length) ctx.log.warn('No candidate version to deploy (the version phase did not run or recorded nothing).')
        return
      }
      // Journaled as the run's release transaction: a run that dies before it is settled leaves
      // it open, and the next run on any runner finishes it (release/recover.ts).
      const monitored = h.monitor.taps.length > 0 && selectPhases(ctx.options.only, ctx.options.skip).some((p) => p.name === 'monitor')
      await ctx.release.openRelease(version, monitored)
      await h.deploy.promise({ version, reason: 'release', record: await ctx.registry.get(version) }, ctx)
      await ctx.release.releaseDeployed(ctx.data.deployment)
    },
  },
  {
    name: 'monitor', dryRun: false, cacheable: false, dependsOn: ['deploy'], onFailure: 'rollback',
    summary: 'analyse the live candidate',
    invoke: (h, ctx) => h.monitor.promise(ctx),
  },
] satisfies PhaseRow[])

/** Runs only when a phase with onFailure `rollback` fails. */
export const ROLLBACK_PHASE: PhaseRow = Object.freeze({
  name: 'rollback', dryRun: false, cacheable: false, dependsOn: [], onFailure: 'stop',
  summary: 'restore the last known-good version',
  invoke: async () => undefined, // invoked by the run loop with the failure as request
} satisfies PhaseRow)

export function isPhaseName(value: string): value is LifecyclePhase {
  return (PHASE_NAMES as readonly string[]).includes(value)
}

export function phaseRow(name: PhaseName): PhaseRow {
  return name === 'rollback' ? ROLLBACK_PHASE : PHASES.find((p) => p.name === name)!
}

/** The phases a run executes, in lifecycle order. */
export function selectPhases(only?: readonly string[], skip?: readonly string[]): PhaseRow[] {
  for (const name of [...(only ?? []), ...(skip ?? [])]) {
    if (!isPhaseName(name)) {
      throw new MlciError(ErrorCode.USAGE, `Unknown phase "${name}".`, { hint: `Phases are: ${PHASE_NAMES.join(', ')}.` })
    }
  }
  return PHASES.filter((p) => (!only?.length || only.includes(p.name)) && !skip?.includes(p.name))
}

/** Phases downstream of `names` (including them), following dependsOn. */
export function downstreamOf(names: Iterable<PhaseName>): Set<PhaseName> {
  const out = new Set<PhaseName>(names)
  for (const row of PHASES) if (row.dependsOn.some((d) => out.has(d))) out.add(row.name)
  return out
}
