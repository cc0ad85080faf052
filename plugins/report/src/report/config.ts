import type { Spec } from '@mlci/core'

/** `report` in mlci.config.ts. */
export interface ReportConfig {
  /** Report files written next to each run record (default both; `[]` writes none). */
  formats?: ('md' | 'html')[]
  /** Append the markdown report to `$GITHUB_STEP_SUMMARY` when that variable is set (default true). */
  stepSummary?: boolean
  /** How many versions history tables and plots show (default 30). */
  history?: number
  /** Milliseconds the HTML report's charts may take to draw before the report is written without them (default 20000). */
  chartTimeout?: number
}

export const REPORT_SHAPE: Spec = {
  shape: { formats: { array: { oneOf: ['md', 'html'] } }, stepSummary: 'boolean', history: 'integer', chartTimeout: 'integer' },
}

export const DEFAULT_REPORT_FORMATS: readonly ('md' | 'html')[] = ['md', 'html']
