import { ErrorCode, ExitCode, MlciError, exitCodeFor } from './errors.js'
import type { AnalysisOutcome, RunData } from './data.js'

/** What the analyses of a failed monitor phase ask of the release. */
export interface AnalysisDecision {
  /** The worst outcome among the analyses that did not succeed. */
  outcome: AnalysisOutcome
  /** Only `Failed` judges the model: the candidate is marked failed. */
  markFailed: boolean
  /** Whether to roll back: some analysis' `rollbackOn` named its outcome. */
  rollback: boolean
}

const ANALYSIS_CODES = new Set<string>([ErrorCode.ANALYSIS_FAILED, ErrorCode.ANALYSIS_ERROR, ErrorCode.ANALYSIS_INCONCLUSIVE, ErrorCode.ANALYSIS_NO_DATA])
const WORSE: AnalysisOutcome[] = ['Successful', 'Inconclusive', 'Error', 'Failed']

/**
 * Read by the release policy (rollback, version status) when a run failed: undefined unless the
 * failure is an analysis' own, so a deploy error or a crash keeps the usual handling. An
 * analysis that could not measure (`Error`) or decided nothing (`Inconclusive`) never marks a
 * version failed; it rolls back only when the monitor was configured to (`rollbackOn`).
 * Reports written before `outcome` existed count as `Failed`, as they did then.
 */
export function analysisDecision(data: RunData, error: unknown): AnalysisDecision | undefined {
  if (!MlciError.is(error) || !ANALYSIS_CODES.has(error.code)) return undefined
  const unsuccessful = (data.analysis ?? []).filter((r) => (r.outcome ?? (r.verdict === 'success' ? 'Successful' : 'Failed')) !== 'Successful')
  if (!unsuccessful.length) return { outcome: 'Failed', markFailed: true, rollback: true }
  const outcome = unsuccessful.map((r) => r.outcome ?? 'Failed').reduce((a, b) => (WORSE.indexOf(b) > WORSE.indexOf(a) ? b : a))
  return { outcome, markFailed: outcome === 'Failed', rollback: unsuccessful.some((r) => r.rollback ?? true) }
}

/**
 * A monitor that could not run because of its configuration (an error with exit code 2, such as
 * MLCI_PLUGIN_OPTIONS: no `url`, a bad option) measured nothing: like an analysis Error it is no
 * verdict on the model, and unlike one it never rolls back (`rollbackOn` does not apply). Read
 * by core's rollback row and by whatever marks versions failed when a run fails.
 */
export function monitorConfigError(error: unknown): boolean {
  return MlciError.is(error) && error.phase === 'monitor' && exitCodeFor(error) === ExitCode.USAGE
}
