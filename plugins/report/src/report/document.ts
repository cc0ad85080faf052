import type { RunRecord } from '@mlci/core'
import type { Chart } from './chart.js'
import { headline, outcomeOf, type Outcome } from './facts.js'
import type { RegistrySnapshot } from './history.js'
import { historyBlocks } from './history-section.js'
import { pluginSectionBlocks } from './plugin-sections.js'
import { runBlocks } from './run-section.js'

/**
 * A report as data: blocks of inline spans. Markdown and HTML render the same document, so the
 * two formats can never disagree about what happened; only HTML draws the charts.
 */
export type Tone = 'ok' | 'bad' | 'warn' | 'muted'
export type Span = string | { text: string; strong?: boolean; code?: boolean; tone?: Tone }
export type Inline = Span | Span[]

export type Block =
  /** `htmlOnly`: the section holds only charts, so markdown leaves the heading out. */
  | { kind: 'heading'; level: 2 | 3; text: Inline; id: string; htmlOnly?: boolean }
  | { kind: 'paragraph'; text: Inline; htmlOnly?: boolean }
  | { kind: 'table'; columns: { title: string; align?: 'left' | 'right' | 'center' }[]; rows: Inline[][] }
  | { kind: 'list'; items: Inline[] }
  /** Preformatted text behind a disclosure (error details, hints). */
  | { kind: 'details'; summary: string; text: string }
  | { kind: 'chart'; chart: Chart }

export interface ReportDoc {
  title: string
  outcome: Outcome
  runId: string
  blocks: Block[]
}

/** A run of the project, as listed in "Runs since". */
export interface RunSummary {
  id: string
  command: string
  startedAt: string
  status: RunRecord['status']
  outcome: Outcome
  version?: string
  durationMs?: number
}

export interface ReportInput {
  record: RunRecord
  snapshot?: RegistrySnapshot
  /** Only versions (and runs) from this version on. */
  since?: string
  /** Runs to list (with --since); newest last. */
  runs?: RunSummary[]
  /** Versions in history tables and charts (default 30). */
  history?: number
  /** Where the full log is, shown as a path. */
  logPath?: string
}

export function buildReport(input: ReportInput): ReportDoc {
  const { record } = input
  return {
    title: headline(record),
    outcome: outcomeOf(record),
    runId: record.id,
    blocks: [...runBlocks(input), ...pluginSectionBlocks(record), ...historyBlocks(input)],
  }
}

export function summarizeRun(record: RunRecord): RunSummary {
  return {
    id: record.id, command: record.command, startedAt: record.startedAt, status: record.status,
    outcome: outcomeOf(record), version: record.version ?? record.data.candidate?.version, durationMs: record.durationMs,
  }
}
