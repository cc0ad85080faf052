import { ErrorCode, MlciError, type AnalysisReport, type AnalysisSample } from '@mlci/core'
import { failedForNoData, formatValue } from './analysis.js'

const MARK: Record<AnalysisSample['verdict'], string> = { success: '✔', failure: '✖', inconclusive: '?', error: '⚠' }

/** `sample 3/5 error_ratio=0.41 ✖ accuracy=0.96 ✔` */
export function sampleLine(sample: AnalysisSample, count: number): string {
  const parts = Object.entries(sample.metrics ?? {}).map(([name, m]) => `${name}=${m.verdict === 'error' ? 'error' : formatValue(m.value)} ${MARK[m.verdict]}`)
  return `sample ${sample.index}/${count} ${parts.join(' ')}${sample.message ? ` — ${sample.message}` : ''}`
}

/** A markdown table of every sample, for the error details and `--verbose`. */
export function samplesTable(report: AnalysisReport): string {
  const names = (report.metrics ?? []).map((m) => m.name)
  const head = `| sample | ${names.join(' | ')} |\n|---|${names.map(() => '---|').join('')}`
  const rows = report.samples.map((s) => `| ${s.index} | ${names.map((n) => {
    const m = s.metrics?.[n]
    return m ? `${m.verdict === 'error' ? 'error' : formatValue(m.value)} ${MARK[m.verdict]}` : ''
  }).join(' | ')} |`)
  return [head, ...rows].join('\n')
}

/** The phase error for an analysis that did not succeed; its message says which kind. */
export function analysisError(report: AnalysisReport): MlciError {
  const subject = `Analysis "${report.name}" of ${report.version}`
  const details = `${samplesTable(report)}\n\n${(report.metrics ?? []).map((m) => `- ${m.name}: ${m.verdict}${m.message ? ` — ${m.message}` : ''}`).join('\n')}`
  if (report.verdict === 'error') {
    const keep = report.rollback ? 'rolled back (rollbackOn includes "Error")' : 'not marked failed and not rolled back'
    return new MlciError(ErrorCode.ANALYSIS_ERROR, `Analysis "${report.name}" of ${report.version} could not measure, so it is not promoted; the version is ${keep}: ${report.message}`, {
      details, hint: 'A measurement broke (a metrics endpoint, Prometheus or a probe request), which says nothing about the model. Fix the measurement and run `mlci monitor` again; add "Error" to rollbackOn to roll back on such errors.',
    })
  }
  if (report.verdict === 'inconclusive') {
    return new MlciError(ErrorCode.ANALYSIS_INCONCLUSIVE, `${subject} was inconclusive, so it is not promoted: ${report.message}`, {
      details, hint: 'Neither condition held (or there was no data with noData: "inconclusive"). Check the conditions cover every value, or raise inconclusiveLimit.',
    })
  }
  if (failedForNoData(report)) {
    return new MlciError(ErrorCode.ANALYSIS_NO_DATA, `${subject} got no data, so it is not promoted: ${report.message}`, {
      details, hint: 'Check the server exposes the metric (an empty /metrics body, a missing series or 0 requests between scrapes count as no data). A probe metric generates traffic for ratios.',
    })
  }
  return new MlciError(ErrorCode.ANALYSIS_FAILED, `${subject} failed: ${report.message}`, {
    details, hint: 'The live metrics broke the conditions more often than failureLimit allows; see the samples above.',
  })
}
