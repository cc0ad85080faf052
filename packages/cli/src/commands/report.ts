import { extname, relative, resolve } from 'node:path'
import {
  ErrorCode, ExitCode, MlciError, findRun, readRunRecord, readRunRecords, writeFileAtomic, type Registry, type RunRecord,
} from '@mlci/core'
import {
  appendStepSummary, buildReport, chartCacheDir, loadRegistrySnapshot, registryOf, renderHtmlReport, renderMarkdown, summarizeRun,
  type ReportConfig, type RegistrySnapshot,
} from '@mlci/plugin-report'
import { openProject } from '../session.js'
import type { Command } from './index.js'

const FORMATS = ['md', 'html', 'json'] as const
type Format = (typeof FORMATS)[number]

const command: Command = {
  usage: 'mlci report [run|version] [--format md|html|json] [--out file] [--since version]',
  flags: ['format', 'out', 'since'],
  async run(args, io) {
    const mlci = await openProject(args, io.env)
    const config = (mlci.config.report ?? {}) as ReportConfig
    const out = args.flags.out as string | undefined
    const format = formatOf(args.flags.format as string | undefined, out)
    const since = args.flags.since as string | undefined
    const registry = registryOf(mlci)
    const snapshot = await loadRegistrySnapshot(registry)
    const record = await readRunRecord(mlci.stateDir, await runFor(mlci.stateDir, args.positionals[0], registry))
    const runs = since ? await runsSince(mlci.stateDir, since, registry, snapshot) : undefined
    let text: string
    if (format === 'json') {
      // One run record, or with --since the records of every run since that version (oldest first).
      text = JSON.stringify(runs ?? record, null, 2) + '\n'
    } else {
      const logPath = record.files?.log && relative(process.cwd(), record.files.log)
      const doc = buildReport({ record, snapshot, since, runs: runs?.map(summarizeRun), history: config.history, logPath })
      if (format === 'html') {
        const { html, warning } = await renderHtmlReport(doc, { timeoutMs: config.chartTimeout, cacheDir: chartCacheDir(mlci.stateDir) })
        if (warning) io.stderr.write(`mlci: warning: ${warning}; the report is written without them.\n`)
        text = html
      } else {
        text = renderMarkdown(doc)
      }
    }
    text = mlci.redact(text)
    if (out) {
      await writeFileAtomic(resolve(out), text)
      io.stdout.write(`report: ${out}\n`)
    } else {
      io.stdout.write(text)
    }
    const summary = config.stepSummary === false ? undefined : io.env.GITHUB_STEP_SUMMARY
    if (format === 'md' && summary) await appendStepSummary(summary, text, record.id)
    return ExitCode.OK
  },
}
export default command

/** --format wins; else the --out extension; else markdown. */
function formatOf(flag: string | undefined, out: string | undefined): Format {
  if (flag !== undefined) {
    if (!(FORMATS as readonly string[]).includes(flag)) {
      throw new MlciError(ErrorCode.USAGE, `--format ${flag} is not a report format.`, { hint: `Use one of: ${FORMATS.join(', ')}.` })
    }
    return flag as Format
  }
  const ext = out ? extname(out).slice(1).toLowerCase() : ''
  if (ext === 'htm' || ext === 'html') return 'html'
  if (ext === 'json') return 'json'
  return 'md'
}

/**
 * A run id (or prefix), or a version — full, without build metadata (`1.0.2` for
 * `1.0.2+data.abc`), `v`-prefixed or an alias such as `live`, as `rollback --to` accepts —
 * meaning the run that created it. Default: the latest run.
 */
async function runFor(stateDir: string, ref: string | undefined, registry: Registry | undefined): Promise<string> {
  const version = ref ? await registry?.resolve(ref).catch(() => undefined) : undefined
  if (version) return findRun(stateDir, version.runId)
  return findRun(stateDir, ref)
}

async function runsSince(stateDir: string, since: string, registry: Registry | undefined, snapshot: RegistrySnapshot | undefined): Promise<RunRecord[]> {
  const version = await registry?.resolve(since).catch(() => undefined)
  if (!version) {
    throw new MlciError(ErrorCode.USAGE, `--since ${since}: no such version in the registry.`, {
      hint: snapshot?.versions.length ? `Known versions: ${snapshot.versions.slice(-10).map((v) => v.version).join(', ')}.` : 'The registry has no versions yet: run `mlci build` first.',
    })
  }
  // Run ids start with their start time, so this also works when the creating run was pruned.
  return (await readRunRecords(stateDir)).filter((r) => r.id >= version.runId)
}
