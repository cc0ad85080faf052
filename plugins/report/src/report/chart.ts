import type { AnalysisReport } from '@mlci/core'
import type { ModelVersion } from '@mlci/core'
import type { RegistrySnapshot, RollbackMove } from './history.js'
import { formatNumber, formatTime } from './format.js'

/** Chart data, independent of how it is drawn (chart-option.ts maps it to ECharts). */
export type PointMarker = 'live' | 'failed' | 'candidate' | 'pending'

export interface ChartPoint {
  x: number
  y: number | null
  /** Axis label (version, or sample index). */
  label: string
  /** Tooltip. */
  title: string
  marker?: PointMarker
}

export interface ChartSeries {
  name: string
  points: ChartPoint[]
}

export interface Chart {
  id: string
  kind: 'metric' | 'monitor'
  title: string
  /** `category`: x is an index and each point's label is shown; `time`: x is epoch ms. */
  axis: 'category' | 'time'
  series: ChartSeries[]
  /** Vertical markers, e.g. a rollback away from a version. */
  events: { x: number; label: string }[]
}

/** What drawing gave per chart id: the SVG, or why there is none. */
export type ChartImages = Record<string, { svg: string } | { error: string }>

/** The candidate of this run when the registry has no entry for it (vetoed, dry run). */
export interface PendingCandidate {
  version: string
  metrics: Record<string, number>
}

/** One chart per metric across versions; live, failed and rolled-back versions marked. */
export function metricCharts(versions: ModelVersion[], snapshot: RegistrySnapshot | undefined, names: string[], rollbacks: RollbackMove[], candidate?: PendingCandidate): Chart[] {
  const live = snapshot?.aliases.live
  const columns = [...versions.map((v) => ({ version: v.version, status: v.status as string, metrics: v.metrics ?? {} })),
    ...(candidate ? [{ version: candidate.version, status: 'candidate', metrics: candidate.metrics }] : [])]
  const index = new Map(columns.map((c, i) => [c.version, i]))
  const events = rollbacks.filter((r) => r.from && index.has(r.from)).map((r) => ({ x: index.get(r.from!)!, label: `${axisVersion(r.from!)} rolled back → ${r.to ? axisVersion(r.to) : '?'}` }))
  return names.map((name) => ({
    id: `metric-${slug(name)}`,
    kind: 'metric' as const,
    title: name,
    axis: 'category' as const,
    events,
    series: [{
      name,
      points: columns.map((c, x) => {
        const y = c.metrics[name] ?? null
        const marker: PointMarker | undefined = c.version === live ? 'live' : c.status === 'failed' ? 'failed' : c.status === 'candidate' ? 'candidate' : c.status === 'pending' ? 'pending' : undefined
        const note = marker ? ` (${marker === 'candidate' ? 'candidate, not recorded' : marker})` : ''
        return { x, y, label: axisVersion(c.version), title: `${c.version}${note}: ${name} = ${formatNumber(y)}`, marker }
      }),
    }],
  }))
}

/** One chart per monitored value (error rate, latency, live accuracy…) over sample time. */
export function monitorCharts(reports: AnalysisReport[]): Chart[] {
  const charts: Chart[] = []
  for (const report of reports) {
    const keys = [...new Set(report.samples.flatMap((s) => Object.keys(s.values)))]
    const times = report.samples.map((s) => Date.parse(s.time))
    const useTime = times.every((t) => Number.isFinite(t)) && new Set(times).size === times.length
    for (const key of keys) {
      charts.push({
        id: `monitor-${slug(report.name)}-${slug(key)}`,
        kind: 'monitor',
        title: `${report.name} · ${key} (${report.version}, ${report.verdict})`,
        axis: useTime ? 'time' : 'category',
        events: [],
        series: [{
          name: key,
          points: report.samples.map((s, i) => ({
            x: useTime ? times[i] : i,
            y: s.values[key] ?? null,
            label: `#${s.index}`,
            title: `#${s.index} ${formatTime(s.time)}: ${key} = ${formatNumber(s.values[key])} (${s.verdict})${s.message ? ` — ${s.message}` : ''}`,
            marker: s.verdict === 'failure' || s.verdict === 'error' ? 'failed' : undefined,
          })),
        }],
      })
    }
  }
  return charts
}

/**
 * A version as the x axis shows it: the semver without build metadata (`1.2.0+data.946a015` →
 * `1.2.0`), which only repeats what the tooltip says in full and used to crowd the version out.
 */
export function axisVersion(version: string): string {
  const plus = version.indexOf('+')
  return plus > 0 ? version.slice(0, plus) : version
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x'
}
