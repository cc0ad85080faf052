import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic, writeJsonAtomic } from './atomic.js'
import { ErrorCode, MlciError, errorMessage } from './errors.js'
import type { RunData } from './data.js'
import type { LogEntry } from './logger.js'
import type { Redactor } from './redact.js'

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
  /** Where the log and reports of this run are (`report`: the HTML report, else the markdown one). */
  files?: { record?: string; log?: string; report?: string; markdown?: string }
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

/** Write the record and its log atomically (redacted), then prune old runs. */
export async function writeRunRecord(stateDir: string, record: RunRecord, log: LogEntry[], redactor: Redactor, keep = 50): Promise<RunRecord> {
  const dir = join(stateDir, 'runs')
  const recordFile = join(dir, `${record.id}.json`)
  const logFile = join(dir, `${record.id}.log`)
  record.files = { ...record.files, record: recordFile, log: logFile }
  const safe = redactor.redactDeep(record)
  await writeFileAtomic(logFile, redactor.redact(log.map(formatLogLine).join('\n') + '\n'), HISTORY)
  await writeJsonAtomic(recordFile, safe, HISTORY)
  pruneRuns(dir, keep)
  return safe
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
