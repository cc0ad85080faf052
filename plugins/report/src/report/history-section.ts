import type { AnalysisReport } from '@mlci/core'
import { metricCharts, monitorCharts, type PendingCandidate } from './chart.js'
import type { Block, Inline, ReportInput } from './document.js'
import { OUTCOME_LABEL } from './facts.js'
import { formatDuration, formatNumber, formatTime } from './format.js'
import { metricNames, rollbackMoves, versionsSince } from './history.js'

const TABLE_METRICS = 6

/** Sections about the project over time: versions, metric plots, monitor samples, runs since. */
export function historyBlocks(input: ReportInput): Block[] {
  const { record, snapshot } = input
  const blocks: Block[] = []
  const versions = snapshot ? versionsSince(snapshot, input.since, input.history ?? 30) : []
  const rollbacks = snapshot ? rollbackMoves(snapshot) : []
  const candidateVersion = record.data.candidate?.version
  const pending: PendingCandidate | undefined = record.data.metrics && candidateVersion && !versions.some((v) => v.version === candidateVersion)
    ? { version: candidateVersion, metrics: record.data.metrics }
    : !candidateVersion && record.data.metrics ? { version: 'candidate', metrics: record.data.metrics } : undefined
  const names = metricNames([...versions, ...(pending ? [pending] : [])])

  if (versions.length) {
    const shownMetrics = names.slice(0, TABLE_METRICS)
    const rolledBackFrom = new Set(rollbacks.map((r) => r.from))
    const notes = (version: string): string => {
      const aliases = Object.entries(snapshot!.aliases).filter(([, v]) => v === version).map(([a]) => a)
      if (rolledBackFrom.has(version)) aliases.push('rolled back')
      if (version === candidateVersion) aliases.push('this run')
      return aliases.join(', ')
    }
    blocks.push(
      { kind: 'heading', level: 3, text: input.since ? `Versions since ${input.since}` : 'Versions', id: 'versions' },
      {
        kind: 'table',
        columns: [{ title: 'Version' }, { title: 'Status' }, { title: 'Created' }, ...shownMetrics.map((m) => ({ title: m, align: 'right' as const })), { title: 'Notes' }],
        rows: versions.slice().reverse().map((v): Inline[] => [
          { text: v.version, code: true, strong: v.version === snapshot!.aliases.live },
          { text: v.status, tone: v.status === 'ready' ? 'ok' : v.status === 'failed' ? 'bad' : 'muted' },
          formatTime(v.createdAt),
          ...shownMetrics.map((m) => formatNumber(v.metrics?.[m])),
          notes(v.version),
        ]),
      },
    )
  }

  const charts = metricCharts(versions, snapshot, names, rollbacks, pending)
  if (charts.length) {
    blocks.push(
      { kind: 'heading', level: 3, text: 'Metrics across versions', id: 'metric-history', htmlOnly: true },
      { kind: 'paragraph', htmlOnly: true, text: { text: 'Filled dot: a version · large green dot: live · red cross: failed or rolled back · hollow dot: candidate not recorded · dashed line: rollback away from that version. Hover a point for its value.', tone: 'muted' } },
    )
    for (const chart of charts) blocks.push({ kind: 'chart', chart })
  }

  const analysis: AnalysisReport[] = record.data.analysis?.length
    ? record.data.analysis
    : versions.find((v) => v.version === snapshot?.aliases.live)?.analysis ?? []
  const monitor = monitorCharts(analysis)
  if (monitor.length) {
    blocks.push({ kind: 'heading', level: 3, text: 'Monitor samples', id: 'monitor', htmlOnly: true })
    for (const chart of monitor) blocks.push({ kind: 'chart', chart })
  }

  if (input.runs?.length) {
    blocks.push(
      { kind: 'heading', level: 3, text: input.since ? `Runs since ${input.since}` : 'Recent runs', id: 'runs' },
      {
        kind: 'table',
        columns: [{ title: 'Started' }, { title: 'Command' }, { title: 'Outcome' }, { title: 'Version' }, { title: 'Duration', align: 'right' }, { title: 'Run' }],
        rows: input.runs.slice().reverse().map((r): Inline[] => [
          formatTime(r.startedAt),
          { text: r.command, code: true },
          { text: `${OUTCOME_LABEL[r.outcome].icon} ${OUTCOME_LABEL[r.outcome].text}`, tone: r.outcome === 'success' ? 'ok' : 'bad' },
          r.version ?? '—',
          formatDuration(r.durationMs),
          { text: r.id, code: true },
        ]),
      },
    )
  }
  return blocks
}
