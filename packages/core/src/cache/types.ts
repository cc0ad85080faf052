import type { PhaseName } from '../phases.js'
import type { PhaseContext } from '../context.js'
import type { LogEntry } from '../logger.js'

/** What a plugin declares about a phase so it can be cached and watched. */
export interface PhaseDeclaration {
  phase: PhaseName
  plugin: string
  /** Globs relative to `cwd` (default: the project root). */
  inputs?: string[]
  /** Files or folders the phase writes, relative to `cwd`; restored on a cache hit. */
  outputs?: string[]
  /** Anything that changes the result (plugin options, params). Must be JSON-serialisable. */
  params?: unknown
  /** Names of env vars whose values change the result. */
  env?: string[]
  cwd?: string
}

/** Why a phase runs or is cached. */
export interface CacheCheck {
  phase: PhaseName
  fingerprint: string
  hit: boolean
  /** Human reasons, e.g. "changed: data/train.csv", "params changed", "no previous run". */
  reasons: string[]
}

/** What the run loop gets back from a cache hit. */
export interface CacheRestore {
  /** The run-data fields the phase set when it ran (metrics, artifacts, …). */
  data: Record<string, unknown>
  /** The log captured when it ran, for --verbose replay. */
  log: LogEntry[]
}

/** The phase cache as the run loop uses it. */
export interface PhaseCache {
  check(phase: PhaseName, ctx: PhaseContext, upstream: Record<string, string>): Promise<CacheCheck>
  /** Restore outputs; undefined when the entry is missing or corrupt (it is evicted, phase re-runs). */
  restore(check: CacheCheck, ctx: PhaseContext): Promise<CacheRestore | undefined>
  save(check: CacheCheck, ctx: PhaseContext, result: CacheRestore): Promise<void>
}
