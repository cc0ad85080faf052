/**
 * Errors with a stable code, a one-line message and a hint that says how to fix it
 * (semantic-release's SemanticReleaseError, vitest's coded errors). `main.ts` in the CLI is the
 * only place that prints them; the exit code comes from the error's kind.
 */

/** Stable error codes. Add new ones here; never reuse or rename one. */
export const ErrorCode = {
  CONFIG_NOT_FOUND: 'MLCI_CONFIG_NOT_FOUND',
  CONFIG_SYNTAX: 'MLCI_CONFIG_SYNTAX',
  CONFIG_LOAD: 'MLCI_CONFIG_LOAD',
  CONFIG_INVALID: 'MLCI_CONFIG_INVALID',
  PLUGIN_NOT_FOUND: 'MLCI_PLUGIN_NOT_FOUND',
  PLUGIN_INVALID: 'MLCI_PLUGIN_INVALID',
  PLUGIN_INCOMPATIBLE: 'MLCI_PLUGIN_INCOMPATIBLE',
  PLUGIN_OPTIONS: 'MLCI_PLUGIN_OPTIONS',
  USAGE: 'MLCI_USAGE',
  LOCKED: 'MLCI_LOCKED',
  TAP_FAILED: 'MLCI_TAP_FAILED',
  EXEC_FAILED: 'MLCI_EXEC_FAILED',
  EXEC_NOT_FOUND: 'MLCI_EXEC_NOT_FOUND',
  TIMEOUT: 'MLCI_TIMEOUT',
  /** A phase's tap ran past `timeouts.<phase>`; its processes were stopped. */
  PHASE_TIMEOUT: 'MLCI_PHASE_TIMEOUT',
  /** A tap's promise was still pending when nothing was left that could settle it. */
  NEVER_SETTLED: 'MLCI_NEVER_SETTLED',
  /** A tap returned something its hook does not accept (e.g. a gate result that is not a Veto). */
  TAP_RESULT_INVALID: 'MLCI_TAP_RESULT_INVALID',
  /** A plugin published run data JSON cannot carry (a Date, Map, Set, NaN, …); the message names the key. */
  RUN_DATA_INVALID: 'MLCI_RUN_DATA_INVALID',
  INTERRUPTED: 'MLCI_INTERRUPTED',
  VETOED: 'MLCI_VETOED',
  STALE: 'MLCI_STALE',
  STATE_CORRUPT: 'MLCI_STATE_CORRUPT',
  /** A compare-and-swap lost, or a write-once record already exists (registry versions, aliases). */
  STATE_CONFLICT: 'MLCI_STATE_CONFLICT',
  NOT_FOUND: 'MLCI_NOT_FOUND',
  /** Writing state failed because of the disk (ENOSPC, EIO, …); the message names the file. */
  STATE_WRITE: 'MLCI_STATE_WRITE',
  VERIFY_FAILED: 'MLCI_VERIFY_FAILED',
  UNHEALTHY: 'MLCI_UNHEALTHY',
  UNEXPECTED: 'MLCI_UNEXPECTED',
  /** No version could be rolled back to (every target missing, broken or unhealthy); what ran is left alone. */
  ROLLBACK_FAILED: 'MLCI_ROLLBACK_FAILED',
  /** A monitor analysis failed: failures over failureLimit, a verdict against the model (outcome Failed). */
  ANALYSIS_FAILED: 'MLCI_ANALYSIS_FAILED',
  /** A monitor analysis could not measure (consecutive measurement errors over consecutiveErrorLimit, outcome Error): not a verdict on the model. */
  ANALYSIS_ERROR: 'MLCI_ANALYSIS_ERROR',
  /** A monitor analysis was inconclusive (policy `inconclusive`): not promoted either. */
  ANALYSIS_INCONCLUSIVE: 'MLCI_ANALYSIS_INCONCLUSIVE',
  /** A monitor analysis failed because its metrics had no data (empty body, missing series, NaN). */
  ANALYSIS_NO_DATA: 'MLCI_ANALYSIS_NO_DATA',
  /** The image/artifact of the version to deploy no longer exists (the rollback policy then tries an older version). */
  DEPLOY_TARGET_MISSING: 'MLCI_DEPLOY_TARGET_MISSING',
  /** Login to or push to a container registry failed. */
  PUSH_FAILED: 'MLCI_PUSH_FAILED',
  /** The configured Python interpreter is missing, does not start, or lacks a required module. */
  PYTHON_NOT_FOUND: 'MLCI_PYTHON_NOT_FOUND',
  /** The test run had failing or erroring tests. */
  TESTS_FAILED: 'MLCI_TESTS_FAILED',
  /** The test runner collected no tests. */
  NO_TESTS: 'MLCI_NO_TESTS',
  /** A command exited 0 but a declared output (model, signature, metrics) was not written. */
  OUTPUT_MISSING: 'MLCI_OUTPUT_MISSING',
  /** A declared output exists but cannot be read as what it should be (e.g. a signature that is not JSON). */
  OUTPUT_INVALID: 'MLCI_OUTPUT_INVALID',
  /** A metric is missing, not a number, NaN or infinite. */
  METRIC_INVALID: 'MLCI_METRIC_INVALID',
  /** A shared state server (the PostgreSQL registry, the S3 store) cannot be reached or refused the request. */
  STATE_UNAVAILABLE: 'MLCI_STATE_UNAVAILABLE',
} as const
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Process exit codes (DESIGN §5). */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2, VETOED: 3, INTERRUPTED: 130 } as const

const USAGE_CODES = new Set<string>([
  ErrorCode.CONFIG_NOT_FOUND, ErrorCode.CONFIG_SYNTAX, ErrorCode.CONFIG_LOAD, ErrorCode.CONFIG_INVALID,
  ErrorCode.PLUGIN_NOT_FOUND, ErrorCode.PLUGIN_INVALID, ErrorCode.PLUGIN_INCOMPATIBLE,
  ErrorCode.PLUGIN_OPTIONS, ErrorCode.USAGE,
])

export interface MlciErrorOptions {
  /** How to fix it, one or two sentences. */
  hint?: string
  /** Longer explanation (markdown), e.g. a table of failing tests. */
  details?: string
  phase?: string
  plugin?: string
  cause?: unknown
}

// A brand instead of `instanceof`, so errors from a second copy of @mlci/core (a plugin's own
// node_modules) are still recognised.
const BRAND = Symbol.for('mlci.error')

export class MlciError extends Error {
  readonly code: string
  hint?: string
  details?: string
  phase?: string
  plugin?: string
  readonly [BRAND] = true

  constructor(code: string, message: string, options: MlciErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MlciError'
    this.code = code
    this.hint = options.hint
    this.details = options.details
    this.phase = options.phase
    this.plugin = options.plugin
  }

  static is(value: unknown): value is MlciError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}

/** The exit code a run ending with `error` should produce. */
export function exitCodeFor(error: unknown): number {
  if (!MlciError.is(error)) return ExitCode.FAILED
  if (error.code === ErrorCode.INTERRUPTED) return ExitCode.INTERRUPTED
  if (error.code === ErrorCode.VETOED) return ExitCode.VETOED
  if (USAGE_CODES.has(error.code)) return ExitCode.USAGE
  return ExitCode.FAILED
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/**
 * Wrap whatever a tap threw exactly once into an error naming phase and plugin
 * (webpack's HookWebpackError). An MlciError keeps its code, gains the phase and plugin.
 */
export function wrapTapError(error: unknown, phase: string, plugin: string): MlciError {
  if (MlciError.is(error)) {
    error.phase ??= phase
    error.plugin ??= plugin
    return error
  }
  const message = errorMessage(error)
  return new MlciError(ErrorCode.TAP_FAILED, message, {
    phase, plugin, cause: error,
    hint: `The ${plugin} plugin failed during "${phase}". Run with --verbose for its full log.`,
  })
}
