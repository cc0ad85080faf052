import { readdirSync, rmSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic, writeJsonAtomic } from './atomic.js'
import { ErrorCode, MlciError, errorMessage } from './errors.js'
import type { RunData } from './data.js'
import type { LogEntry } from './logger.js'
import type { Redactor } from './redact.js'
import { PHASES } from './phases.js'

const CACHEABLE_PHASES = new Set<string>(PHASES.filter((row) => row.cacheable).map((row) => row.name))

/** History, not state: atomic but not fsynced (see AtomicWriteOptions). */
const HISTORY = { durable: false }

/** Bump when a field changes meaning; add fields freely. Documented in docs/run-record.md. */
export const RUN_RECORD_SCHEMA = 1

export type PhaseStatus = 'ok' | 'failed' | 'cached' | 'skipped' | 'stale' | 'interrupted'
export type RunStatus = 'ok' | 'failed' | 'vetoed' | 'interrupted'

export interface ErrorRecord {
  code: string
  message: string
  phase?: string
  plugin?: string
  hint?: string
  details?: string
}

export interface TapRecord {
  /** The tap's name (usually the plugin name). */
  name: string
  plugin: string
  version?: string
  status: 'ok' | 'failed'
  durationMs: number
  error?: ErrorRecord
}

export interface PhaseRecord {
  name: string
  status: PhaseStatus
  durationMs: number
  /** Why it was skipped/cached/stale. */
  reason?: string
  /** Cache explanation: what changed since the last run. */
  reasons?: string[]
  fingerprint?: string
  taps: TapRecord[]
  error?: ErrorRecord
}

export interface RunRecord {
  schema: typeof RUN_RECORD_SCHEMA
  id: string
  command: string
  cwd: string
  configFile?: string
  mlciVersion: string
  startedAt: string
  endedAt?: string
  durationMs?: number
  status: RunStatus
  dryRun: boolean
  phases: PhaseRecord[]
  plugins: { name: string; version?: string; source: string }[]
  /** The version this run proposed or recorded. */
  version?: string
  error?: ErrorRecord
  /** Error of an automatic rollback, added to (never replacing) the run's error. */
  rollbackError?: ErrorRecord
  /** Failures of done/failed/report taps: each named with its plugin; they never change `status`. */
  hookErrors?: ErrorRecord[]
  data: RunData
  /** Sections plugins contributed through the `sections` hook, in order; reports and `mlci build` show them. */
  sections?: ReportSection[]
  /** Where the record, its log and its reports are (`report`: the HTML report, else the markdown one). */
  files?: RunFiles
}

/** Absolute paths of a written run's files. Plugins add their own keys in the `publish` hook. */
export interface RunFiles {
  record?: string
  log?: string
  /** The report to open: the HTML one, else the markdown one. */
  report?: string
  markdown?: string
  [key: string]: string | undefined
}

/**
 * A report section contributed by a plugin (`sections` hook). Structured rather than markdown or
 * HTML so every output (terminal, markdown, HTML) renders it safely: all text is escaped.
 */
export interface ReportSection {
  title: string
  /** A paragraph of plain text. */
  text?: string
  /** Bullet points. */
  items?: string[]
  table?: { columns: string[]; rows: (string | number | boolean | null)[][] }
  /** Set by core: the plugin that contributed the section. */
  plugin?: string
}

/**
 * The run did nothing new: it succeeded, no cacheable phase ran (all restored from the cache or
 * skipped), and it changed no state and measured nothing: no new version (none, or an existing
 * one reused), no deployment change, no monitor analysis, no rollback. Such a run still gets its record; reports are not re-rendered.
 */
export function isNoOp(record: RunRecord): boolean {
  if (record.status !== 'ok' || record.dryRun) return false
  const ran = record.phases.some((p) => p.status !== 'cached' && p.status !== 'skipped' && CACHEABLE_PHASES.has(p.name))
  const data = record.data
  const changed = (data.candidate !== undefined && !data.candidate.reused)
    || (data.deployment !== undefined && !data.deployment.unchanged)
    || (data.analysis?.length ?? 0) > 0
    || data.rollback !== undefined || record.phases.some((p) => p.name === 'rollback')
  return !ran && !changed
}

export function toErrorRecord(error: unknown): ErrorRecord {
  if (MlciError.is(error)) {
    return { code: error.code, message: error.message, phase: error.phase, plugin: error.plugin, hint: error.hint, details: error.details }
  }
  return { code: ErrorCode.UNEXPECTED, message: errorMessage(error) }
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${process.pid}`
}

export function formatLogLine(entry: LogEntry): string {
  const scope = [entry.phase, entry.plugin].filter(Boolean).join('/')
  return `${new Date(entry.time).toISOString()} ${entry.level.padEnd(6)} ${scope ? `[${scope}] ` : ''}${entry.message}`
}

/** Where a persisted run's record and log are written. */
export function runFiles(stateDir: string, runId: string): { record: string; log: string } {
  const dir = join(stateDir, 'runs')
  return { record: join(dir, `${runId}.json`), log: join(dir, `${runId}.log`) }
}

/** Write the record and its log atomically (redacted), then prune old runs. */
export async function writeRunRecord(stateDir: string, record: RunRecord, log: LogEntry[], redactor: Redactor, keep = 50): Promise<RunRecord> {
  const dir = join(stateDir, 'runs')
  const { record: recordFile, log: logFile } = runFiles(stateDir, record.id)
  record.files = { ...record.files, record: recordFile, log: logFile }
  const safe = redactor.redactDeep(record)
  await writeFileAtomic(logFile, redactor.redact(log.map(formatLogLine).join('\n') + '\n'), HISTORY)
  await writeJsonAtomic(recordFile, safe, HISTORY)
  pruneRuns(dir, keep)
  return safe
}

/** Lines logged after the record was written (by `recorded` taps): appended to its log, redacted. Best-effort. */
export async function appendRunLog(record: RunRecord, entries: LogEntry[], redactor: Redactor): Promise<void> {
  if (!record.files?.log || !entries.length) return
  await appendFile(record.files.log, redactor.redact(entries.map(formatLogLine).join('\n') + '\n')).catch(() => undefined)
}

/** Synchronous: one readdir per run, and usually one old run to drop. */
function pruneRuns(dir: string, keep: number): void {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort()
  } catch {
    return
  }
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    const id = name.slice(0, -'.json'.length)
    rmSync(join(dir, name), { force: true })
    for (const ext of ['log', 'md', 'html']) rmSync(join(dir, `${id}.${ext}`), { force: true })
  }
}
