import type { PhaseName } from '../phases.js'
import type { PhaseContext } from '../context.js'
import type { LogEntry } from '../logger.js'

/** What a plugin declares about a phase so it can be cached and watched. */
export interface PhaseDeclaration {
  phase: PhaseName
  plugin: string
  /**
   * Globs relative to `cwd` (default: the project root). A folder name means everything in it;
   * `!glob` excludes. `.git`, `node_modules`, `.mlci` and Python caches are never inputs.
   */
  inputs?: string[]
  /** Files or folders the phase writes, relative to `cwd`; restored on a cache hit, never inputs. */
  outputs?: string[]
  /** Anything that changes the result (plugin options, params). Must be JSON-serialisable. */
  params?: unknown
  /** Names of env vars whose values change the result (values are hashed, never stored). */
  env?: string[]
  /** Folder the globs are relative to, itself relative to the project root. */
  cwd?: string
}

/** Why a phase runs or is cached. */
export interface CacheCheck {
  phase: PhaseName
  fingerprint: string
  hit: boolean
  /**
   * False when the phase cannot be cached: a plugin tapping it declared nothing, or an upstream
   * phase is not cacheable. Such a phase always runs and is never saved. Absent means true.
   */
  cacheable?: boolean
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
  /** Fingerprint the phase and look for an entry. Writes nothing under ctx.dryRun. */
  check(phase: PhaseName, ctx: PhaseContext, upstream: Record<string, string>): Promise<CacheCheck>
  /**
   * Restore outputs (under ctx.dryRun only the data); undefined when the entry is missing or
   * corrupt (it is evicted with a warning, `check.hit` turns false, the phase re-runs).
   */
  restore(check: CacheCheck, ctx: PhaseContext): Promise<CacheRestore | undefined>
  /** Store outputs, data and log after a successful run. Never throws; no-op under ctx.dryRun. */
  save(check: CacheCheck, ctx: PhaseContext, result: CacheRestore): Promise<void>
}
