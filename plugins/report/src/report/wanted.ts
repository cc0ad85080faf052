import { isNoOp, type RunContext, type RunFiles, type RunRecord } from '@mlci/core'
import { DEFAULT_REPORT_FORMATS, type ReportConfig } from './config.js'

/**
 * What the `publish` tap has to write for this run, or undefined for nothing: report files
 * only for persisted runs (`files.record` set), the step summary when `$GITHUB_STEP_SUMMARY` is
 * set, and neither for a run with nothing new (isNoOp: the record is still written; `mlci report`
 * renders it on demand). Light on purpose: the plugin decides this before loading the renderers.
 */
export function reportsWanted(config: ReportConfig, files: RunFiles, record: RunRecord, ctx: RunContext): { formats: readonly ('md' | 'html')[]; summaryFile?: string } | undefined {
  const summaryFile = config.stepSummary === false ? undefined : ctx.env.GITHUB_STEP_SUMMARY
  const formats = files.record ? config.formats ?? DEFAULT_REPORT_FORMATS : []
  if (!formats.length && !summaryFile) return undefined
  if (isNoOp(record)) {
    ctx.log.debug('Nothing new in this run: no report rendered (`mlci report` renders one).')
    return undefined
  }
  return { formats, summaryFile }
}
