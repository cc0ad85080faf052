import { join, relative } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Mlci } from '../mlci.js'
import type { Registry } from '../registry/types.js'
import { isNoOp, type RunRecord } from '../run-record.js'
import { chartCacheDir } from './chart-cache.js'
import { DEFAULT_REPORT_FORMATS, type ReportConfig } from './config.js'
import { buildReport } from './document.js'
import { loadRegistrySnapshot } from './history.js'
import { renderHtmlReport } from './html.js'
import { renderMarkdown } from './markdown.js'
import { runsDir } from './runs.js'
import { appendStepSummary } from './step-summary.js'

/** History, not state: atomic but not fsynced (see AtomicWriteOptions). */
const HISTORY = { durable: false }

/** The registry if one is configured; reports work without it (no history). */
export function registryOf(mlci: Mlci): Registry | undefined {
  try {
    return mlci.registry
  } catch {
    return undefined
  }
}

/**
 * At the end of a run: write `<id>.md` / `<id>.html` next to the run record (persisted runs
 * only) and append the markdown to `$GITHUB_STEP_SUMMARY` (also for dry runs: `--check` in CI
 * wants its summary). A run with nothing new (isNoOp) renders nothing. Best-effort: a report that cannot be written is a warning, never a
 * different outcome. Returns the record with `files.report` / `files.markdown` set.
 */
export async function writeRunReports(mlci: Mlci, record: RunRecord, options: { persist: boolean; log: Logger }): Promise<RunRecord> {
  const config = (mlci.config.report ?? {}) as ReportConfig
  const summaryFile = config.stepSummary === false ? undefined : mlci.env.GITHUB_STEP_SUMMARY
  const formats = options.persist ? config.formats ?? DEFAULT_REPORT_FORMATS : []
  if (!formats.length && !summaryFile) return record
  // Nothing new to show (#15): the record is still written; `mlci report` renders this run on demand.
  if (isNoOp(record)) {
    options.log.debug('Nothing new in this run: no report rendered (`mlci report` renders one).')
    return record
  }
  try {
    const safe = mlci.redactor.redactDeep(record)
    const snapshot = await loadRegistrySnapshot(registryOf(mlci))
    const dir = runsDir(mlci.stateDir)
    const logPath = options.persist ? relative(mlci.config.root, join(dir, `${record.id}.log`)) : undefined
    const doc = buildReport({ record: safe, snapshot, history: config.history, logPath })
    const markdown = mlci.redact(renderMarkdown(doc))
    const files: { report?: string; markdown?: string } = {}
    if (formats.includes('md')) {
      files.markdown = join(dir, `${record.id}.md`)
      await writeFileAtomic(files.markdown, markdown, HISTORY)
    }
    if (formats.includes('html')) {
      files.report = join(dir, `${record.id}.html`)
      const { html, warning } = await renderHtmlReport(doc, { timeoutMs: config.chartTimeout, cacheDir: chartCacheDir(mlci.stateDir) })
      if (warning) options.log.warn(`HTML report ${relative(mlci.config.root, files.report)}: ${warning}; the report is written without them.`)
      await writeFileAtomic(files.report, mlci.redact(html), HISTORY)
    }
    files.report ??= files.markdown
    if (summaryFile) await appendStepSummary(summaryFile, markdown, record.id)
    return files.report ? { ...record, files: { ...record.files, ...files } } : record
  } catch (error) {
    options.log.warn(`Could not write the run report (ignored): ${errorMessage(error)}`)
    return record
  }
}
