import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  SyncHook,
} from 'tapable'
import type { PhaseContext, RunContext } from './context.js'
import type { VersionProposal } from './data.js'
import type { LifecyclePhase } from './phases.js'
import type { ModelVersion } from './registry/types.js'
import type { ReportSection, RunFiles, RunRecord } from './run-record.js'
import { ErrorCode, MlciError } from './errors.js'
import { checkSections } from './report-sections.js'

/** A gate's refusal. Returning one from a `gate` tap stops the run with exit code 3. */
export interface Veto {
  reason: string
  /** Rendered below the error, e.g. a markdown table of metric verdicts. */
  details?: string
  /** The plugin whose gate tap vetoed; set by core, recorded with the run's error. */
  plugin?: string
}

/** What the deploy hook is asked to put live. */
export interface DeployRequest {
  version: string
  /** `release` from a build; `rollback` when the rollback policy redeploys a known-good version. */
  reason: 'release' | 'rollback'
  /** The registry entry (lineage: artifacts, image digest). */
  record?: ModelVersion
  /** Why, for the alias ledger (e.g. "rollback: v2 unhealthy"). */
  note?: string
}

/**
 * Why the rollback hook fires: `trigger` tells the two cases apart.
 * - `failure`: a build's deploy or monitor phase failed; `error` is that failure (it stays the
 *   run's headline error) and `candidate` the version that failed. Not fired for a monitor that
 *   could not run because of its configuration (exit code 2): that is no verdict on the model.
 * - `manual`: a person ran `mlci rollback [--to v]`; `candidate` is the live version being left.
 * - `recovery`: core is finishing a release (or rollback) a dead run left open; `prefer` is the
 *   target to try first and `reason` says why.
 */
export type RollbackRequest = FailureRollbackRequest | ManualRollbackRequest | RecoveryRollbackRequest

export interface FailureRollbackRequest {
  trigger: 'failure'
  /** The error of the deploy/monitor phase; it stays the run's headline error. */
  error: unknown
  /** The phase that failed: `deploy` or `monitor`. */
  failedPhase: string
  /** The version that failed, when known; for a monitor failure in a run that deployed nothing (`mlci monitor`), the live version. It is never a rollback target. */
  candidate?: string
  to?: undefined
  allowSignatureChange?: undefined
  prefer?: undefined
  reason?: undefined
}

export interface ManualRollbackRequest {
  trigger: 'manual'
  /** The live version being left, when there is one. */
  candidate?: string
  /** Explicit target (`mlci rollback --to v`); without it the rollback policy picks one. */
  to?: string
  /** `mlci rollback --to v --allow-signature-change`: a person accepts a target with another signature. */
  allowSignatureChange?: boolean
  /** Nothing failed. */
  error?: undefined
  /** Always `manual`; kept so plugins written before `trigger` existed still tell the cases apart. Prefer `trigger`. */
  failedPhase: 'manual'
  /** Set when core finishes a manual rollback a dead run left open: the target that run chose. */
  prefer?: string
  /** Set with `prefer`: one line saying why, for the ledger. */
  reason?: string
}

export interface RecoveryRollbackRequest {
  trigger: 'recovery'
  /** Nothing failed in this run: a dead run left a release open and core is finishing it. */
  error?: undefined
  /** Always `recovery`, for plugins that read `failedPhase`. Prefer `trigger`. */
  failedPhase: 'recovery'
  /** The version the dead run was releasing. */
  candidate?: string
  /** Try this target first (the one the dead run's rollback picked, else what was live before it). */
  prefer?: string
  /** One line saying why, for the ledger and the candidate's failure reason. */
  reason?: string
  to?: undefined
  allowSignatureChange?: undefined
}

export interface WatchCycle {
  changed: string[]
  cycle: number
}

/**
 * Every hook mlci exposes, declared once (webpack's Compiler hooks). The context is always the
 * last argument. Docs: when it fires — what a return value means.
 */
export function createHooks() {
  return Object.freeze({
    /** After config and plugins are loaded and the repo lock is held, before any phase. Return ignored. */
    initialize: new AsyncSeriesHook<[RunContext]>(['ctx']),
    /**
     * First phase: check tools, credentials and engines before any side effect. Taps run in parallel; every error is collected and reported. Return ignored.
     * Core calls a plugin's verify tap only when one of the phases it is for runs in this command: the phases the plugin taps, or those named by the tap's `phases` option (verify-scope.ts).
     */
    verify: new AsyncParallelHook<[PhaseContext], { phases?: LifecyclePhase[] }>(['ctx']),
    /** Run the project's tests; publish `ctx.data.tests`. Throw to fail. Cacheable. */
    test: new AsyncSeriesHook<[PhaseContext]>(['ctx']),
    /** Check the training data (schema, ranges, leakage); publish `ctx.data.validation`. Throw to stop before training. Cacheable: declare the data as inputs. */
    validate: new AsyncSeriesHook<[PhaseContext]>(['ctx']),
    /** Train the model; publish params, artifacts, signature. Cacheable. */
    train: new AsyncSeriesHook<[PhaseContext]>(['ctx']),
    /** Compute/record metrics of the candidate into `ctx.data.metrics`. Cacheable. */
    evaluate: new AsyncSeriesHook<[PhaseContext]>(['ctx']),
    /** Decide whether the candidate may be released. Return a Veto to stop (exit 3); the first veto wins; undefined passes. */
    gate: new AsyncSeriesBailHook<[PhaseContext], Veto | undefined | void>(['ctx']),
    /** Propose and record the version. Waterfall: each tap receives the previous proposal and returns the (possibly changed) one. */
    version: new AsyncSeriesWaterfallHook<[VersionProposal | undefined, PhaseContext]>(['proposal', 'ctx']),
    /** Put a version live (release, or a rollback target). Deployers tap it. Throw to fail (triggers rollback for releases). */
    deploy: new AsyncSeriesHook<[DeployRequest, PhaseContext]>(['request', 'ctx']),
    /** Analyse the live candidate. Taps run in parallel; all must pass. Throw to fail (triggers rollback), except a configuration error (exit code 2, e.g. MLCI_PLUGIN_OPTIONS): that judges nothing and rolls nothing back. */
    monitor: new AsyncParallelHook<[PhaseContext]>(['ctx']),
    /** A deploy or monitor failure happened: restore the last known-good version. Return ignored. */
    rollback: new AsyncSeriesHook<[RollbackRequest, PhaseContext]>(['request', 'ctx']),
    /** The run ended (any outcome), before `report`: return the list with your report sections appended (core records which plugin added each); reports and `mlci build` output show them. */
    sections: new AsyncSeriesWaterfallHook<[ReportSection[], RunRecord, RunContext]>(['sections', 'record', 'ctx']),
    /** Waterfall over the finished run record before it is written: add report fields. */
    report: new AsyncSeriesWaterfallHook<[RunRecord, RunContext]>(['record', 'ctx']),
    /** The run succeeded (also after a cached no-op). The record is not written yet. Errors are logged, never fail the run. */
    done: new AsyncSeriesHook<[RunRecord, RunContext]>(['record', 'ctx']),
    /** The run failed, was vetoed or interrupted. The record is not written yet. Errors are logged, never fail the run. */
    failed: new AsyncSeriesHook<[unknown, RunRecord, RunContext]>(['error', 'record', 'ctx']),
    /**
     * After done/failed, repo lock held, just before the record is written: write files made from
     * the finished (redacted) record, such as reports, and return `files` with yours added; they
     * are stored in `record.files`. `files.record` is unset when the run is not persisted (dry run).
     */
    publish: new AsyncSeriesWaterfallHook<[RunFiles, RunRecord, RunContext]>(['files', 'record', 'ctx']),
    /**
     * The run record, its log and every published file are written and the repo lock is released
     * (persisted runs only): notify with the written record; `record.files` has their paths. Lines
     * logged here are appended to the run's log file. Errors are logged, never fail the run.
     */
    recorded: new AsyncSeriesHook<[RunRecord, RunContext]>(['record', 'ctx']),
    /** Watch mode: a new cycle starts after files changed. Return ignored. */
    watchRun: new AsyncSeriesHook<[WatchCycle, RunContext]>(['cycle', 'ctx']),
    /** Watch mode: files changed; the current cycle (if any) is being cancelled. Sync, return ignored. */
    invalid: new SyncHook<[string[], RunContext]>(['changed', 'ctx']),
  })
}

export type Hooks = ReturnType<typeof createHooks>
export type HookName = keyof Hooks

/**
 * Run-level hooks that report on a run rather than take part in it: each tap runs even when
 * another throws, its failure is logged naming its plugin, and none changes the run's outcome
 * (semantic-release runs `success`/`fail` once per plugin the same way).
 */
export const ISOLATED_HOOKS: ReadonlySet<HookName> = new Set<HookName>(['sections', 'report', 'done', 'failed', 'publish', 'recorded'])

/** Isolated waterfalls: a failing tap passes its input on unchanged. */
export const ISOLATED_WATERFALLS: ReadonlySet<HookName> = new Set<HookName>(['sections', 'report', 'publish'])

function isVeto(value: unknown): value is Veto {
  return typeof value === 'object' && value !== null && typeof (value as Veto).reason === 'string' && (value as Veto).reason.trim() !== ''
    && ((value as Veto).details === undefined || typeof (value as Veto).details === 'string')
}

/**
 * Check what one tap returned, for hooks whose return value means something: a gate tap returns
 * a Veto (stamped with its plugin) or nothing. Anything else is the plugin's bug, not a veto.
 * A sections tap returns the list with its sections appended (each stamped with its plugin).
 */
export function checkTapResult(hook: HookName, plugin: string, result: unknown, args: unknown[] = []): unknown {
  if (hook === 'sections') return checkSections(plugin, args[0], result)
  if (hook !== 'gate' || result === undefined) return result
  if (!isVeto(result)) {
    throw new MlciError(ErrorCode.TAP_RESULT_INVALID, `The gate tap of ${plugin} returned ${describeValue(result)}, which is not a Veto.`, {
      phase: 'gate', plugin,
      hint: `A gate tap returns undefined to pass or { reason: '…', details?: '…' } to veto; fix ${plugin}.`,
    })
  }
  return { ...result, plugin }
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/**
 * Hooks that name an unknown hook while a plugin's apply() runs (`mlci.hooks.tset.tapPromise`)
 * throw an error naming the hook and listing the real ones, instead of "Cannot read properties
 * of undefined". Outside apply() an unknown name reads as undefined, as on any object.
 */
export function guardHookNames(hooks: Hooks, applying: () => string | undefined): Hooks {
  const names = Object.keys(hooks)
  return new Proxy(hooks, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !(key in target) && key !== 'then' && applying() !== undefined) {
        throw new MlciError(ErrorCode.PLUGIN_INVALID, `Plugin ${applying()} taps an unknown hook "${key}".`, {
          plugin: applying(), hint: `Hooks are: ${names.join(', ')}.`,
        })
      }
      return Reflect.get(target, key, receiver)
    },
  })
}
