import { join, relative } from 'node:path'
import { errorMessage, runsDir, writeFileAtomic, type Mlci, type Registry, type RunContext, type RunFiles, type RunRecord } from '@mlci/core'
import { chartCacheDir } from './chart-cache.js'
import type { ReportConfig } from './config.js'
import { buildReport } from './document.js'
import { loadRegistrySnapshot } from './history.js'
import { renderHtmlReport } from './html.js'
import { renderMarkdown } from './markdown.js'
import { appendStepSummary } from './step-summary.js'
import { reportsWanted } from './wanted.js'

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
 * The `publish` tap: write `<id>.md` / `<id>.html` next to the run record (persisted runs only:
 * `files.record` is set) and append the markdown to `$GITHUB_STEP_SUMMARY` (also for dry runs:
 * `--check` in CI wants its summary). A run with nothing new (isNoOp) renders nothing. `record`
 * is already redacted by core. Best-effort: a report that cannot be written is a warning, never
 * a different outcome. Returns `files` with `report` / `markdown` added.
 */
export async function writeRunReports(config: ReportConfig, files: RunFiles, record: RunRecord, ctx: RunContext): Promise<RunFiles> {
  const wanted = reportsWanted(config, files, record, ctx)
  if (!wanted) return files
  const { formats, summaryFile } = wanted
  try {
    const snapshot = await loadRegistrySnapshot(ctx.registry)
    const dir = runsDir(ctx.stateDir)
    const logPath = files.log ? relative(ctx.cwd, files.log) : undefined
    const doc = buildReport({ record, snapshot, history: config.history, logPath })
    const markdown = ctx.redact(renderMarkdown(doc))
    const written: RunFiles = {}
    if (formats.includes('md')) {
      written.markdown = join(dir, `${record.id}.md`)
      await writeFileAtomic(written.markdown, markdown, HISTORY)
    }
    if (formats.includes('html')) {
      written.report = join(dir, `${record.id}.html`)
      const { html, warning } = await renderHtmlReport(doc, { timeoutMs: config.chartTimeout, cacheDir: chartCacheDir(ctx.stateDir) })
      if (warning) ctx.log.warn(`HTML report ${relative(ctx.cwd, written.report)}: ${warning}; the report is written without them.`)
      await writeFileAtomic(written.report, ctx.redact(html), HISTORY)
    }
    written.report ??= written.markdown
    if (summaryFile) await appendStepSummary(summaryFile, markdown, record.id)
    return { ...files, ...written }
  } catch (error) {
    ctx.log.warn(`Could not write the run report (ignored): ${errorMessage(error)}`)
    return files
  }
}
