import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  SyncHook,
} from 'tapable'
import type { PhaseContext, RunContext } from './context.js'
import type { VersionProposal } from './data.js'
import type { ModelVersion } from './registry/types.js'
import type { RunRecord } from './run-record.js'

/** A gate's refusal. Returning one from a `gate` tap stops the run with exit code 3. */
export interface Veto {
  reason: string
  /** Rendered below the error, e.g. a markdown table of metric verdicts. */
  details?: string
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

/** Why the rollback hook fires. */
export interface RollbackRequest {
  /** The error of the deploy/monitor phase; it stays the run's headline error. */
  error: unknown
  failedPhase: string
  /** The version that failed, when known. */
  candidate?: string
  /** Explicit target (`mlci rollback --to`). */
  to?: string
  /** `mlci rollback --to v --allow-signature-change`: a person accepts a target with another signature. */
  allowSignatureChange?: boolean
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
    /** First phase: check tools, credentials and engines before any side effect. Taps run in parallel; every error is collected and reported. Return ignored. */
    verify: new AsyncParallelHook<[PhaseContext]>(['ctx']),
    /** Run the project's tests; publish `ctx.data.tests`. Throw to fail. Cacheable. */
    test: new AsyncSeriesHook<[PhaseContext]>(['ctx']),
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
    /** Analyse the live candidate. Taps run in parallel; all must pass. Throw to fail (triggers rollback). */
    monitor: new AsyncParallelHook<[PhaseContext]>(['ctx']),
    /** A deploy or monitor failure happened: restore the last known-good version. Return ignored. */
    rollback: new AsyncSeriesHook<[RollbackRequest, PhaseContext]>(['request', 'ctx']),
    /** The run succeeded (also after a cached no-op). Errors are logged, never fail the run. */
    done: new AsyncSeriesHook<[RunRecord, RunContext]>(['record', 'ctx']),
    /** The run failed, was vetoed or interrupted. Errors are logged, never fail the run. */
    failed: new AsyncSeriesHook<[unknown, RunRecord, RunContext]>(['error', 'record', 'ctx']),
    /** Waterfall over the finished run record before it is written: add report fields. */
    report: new AsyncSeriesWaterfallHook<[RunRecord, RunContext]>(['record', 'ctx']),
    /** Watch mode: a new cycle starts after files changed. Return ignored. */
    watchRun: new AsyncSeriesHook<[WatchCycle, RunContext]>(['cycle', 'ctx']),
    /** Watch mode: files changed; the current cycle (if any) is being cancelled. Sync, return ignored. */
    invalid: new SyncHook<[string[], RunContext]>(['changed', 'ctx']),
  })
}

export type Hooks = ReturnType<typeof createHooks>
export type HookName = keyof Hooks
