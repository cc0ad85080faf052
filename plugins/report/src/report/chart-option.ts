import type { Chart, ChartPoint, PointMarker } from './chart.js'
import { finiteValues, tickFormatter, unscale, valueExponent, valueRange } from './chart-axis.js'

/**
 * A Chart (data) as an Apache ECharts option (drawing). Pure data in, pure data out: the renderer
 * (chart-render.ts) feeds it to ECharts' server-side SVG renderer. Colours are fixed (the figure
 * sits on a light panel in dark mode too) so printed and screenshotted reports look the same.
 */
/** Bump when the drawing changes, so cached SVGs (chart-cache.ts) are drawn again. */
export const CHART_STYLE = 'echarts6-v4'
export const CHART_WIDTH = 720
export const CHART_HEIGHT = 280
const GRID = { left: 72, right: 28, bottom: 34 }
const LANE = 15
/** Room for y tick labels: from the longest label (11 px text is ~6.5 px a character). */
const MAX_LEFT = 150
const CHAR_PX = 7
const COLOR = { line: '#0969da', live: '#1a7f37', failed: '#cf222e', event: '#9a6700', text: '#57606a', grid: '#d8dee4' }

/** Per rollback line: which label lane (row above the plot) it sits in, so labels never overlap. */
export interface EventLabel {
  x: number
  /** Short marker drawn at the line (`↩1`); the figure's caption spells it out. */
  mark: string
  text: string
  lane: number
}

/** Rollback markers numbered in x order, merged per x, assigned to lanes greedily by pixel extent. */
export function eventLabels(chart: Chart, categories: number): EventLabel[] {
  const byX = new Map<number, string[]>()
  for (const e of [...chart.events].sort((a, b) => a.x - b.x)) byX.set(e.x, [...(byX.get(e.x) ?? []), e.label])
  // The widest y labels leave the least room: lanes computed for it never overlap in a wider plot.
  const plot = CHART_WIDTH - MAX_LEFT - GRID.right
  const px = (x: number) => (chart.axis === 'category' ? ((x + 0.5) / Math.max(1, categories)) * plot : 0)
  const laneEnds: number[] = []
  return [...byX].map(([x, labels], i) => {
    const mark = `↩${i + 1}`
    const half = (mark.length * CHAR_PX) / 2 + 3
    let lane = laneEnds.findIndex((end) => px(x) - half > end)
    if (lane < 0) lane = laneEnds.push(-Infinity) - 1
    laneEnds[lane] = px(x) + half
    return { x, mark, text: labels.join('; '), lane }
  })
}

const SYMBOL: Record<PointMarker, { symbol: string; size: number; color: string; border: string; label?: string }> = {
  live: { symbol: 'circle', size: 12, color: COLOR.live, border: '#1f2328', label: 'live' },
  failed: { symbol: 'path://M0,0L10,10M0,10L10,0M0,0', size: 11, color: COLOR.failed, border: COLOR.failed },
  candidate: { symbol: 'emptyCircle', size: 9, color: '#ffffff', border: COLOR.line },
  pending: { symbol: 'emptyCircle', size: 9, color: '#ffffff', border: COLOR.line },
}

function dataItem(p: ChartPoint, time: boolean, exponent: number): Record<string, unknown> {
  const y = p.y !== null && Number.isFinite(p.y) ? unscale(p.y, exponent) : null
  const value = time ? [p.x, y] : y
  const m = p.marker && SYMBOL[p.marker]
  if (!m) return { value }
  return {
    value,
    symbol: m.symbol,
    symbolSize: m.size,
    itemStyle: { color: m.color, borderColor: m.border, borderWidth: p.marker === 'failed' ? 2.5 : 1.5 },
    label: m.label ? { show: true, position: 'top', formatter: m.label, color: m.color, fontWeight: 'bold', fontSize: 11 } : undefined,
  }
}

export function chartOption(chart: Chart): Record<string, unknown> {
  const time = chart.axis === 'time'
  const points = chart.series[0]?.points ?? []
  const raw = finiteValues(chart.series.flatMap((s) => s.points.map((p) => p.y)))
  const exponent = valueExponent(raw)
  const ys = raw.map((y) => unscale(y, exponent))
  const range = valueRange(ys)
  const scaled = tickFormatter(ys, range)
  const format = exponent === 0 ? scaled : (value: number) => (value === 0 ? '0' : `${scaled(value)}e${exponent}`)
  const events = eventLabels(chart, points.length)
  const lanes = events.reduce((n, e) => Math.max(n, e.lane + 1), 0)
  // Labels are at most one step finer than the range ends (formatter digits), so measure those.
  const lo = range?.min ?? (ys.length ? ys.reduce((a, b) => Math.min(a, b)) : 0)
  const hi = range?.max ?? (ys.length ? ys.reduce((a, b) => Math.max(a, b)) : 1)
  const widest = Math.max(...[lo, hi, (lo + hi) / 2, lo - (hi - lo) * 0.06, hi + (hi - lo) * 0.1].map((v) => format(v).length))
  const left = Math.min(MAX_LEFT, Math.max(GRID.left, 18 + widest * 7))
  const rotate = !time && points.length > 8 ? 35 : 0
  const eventSeries = events.length ? [{
    type: 'line', name: 'rollbacks', data: [], silent: false,
    markLine: {
      symbol: 'none', animation: false,
      lineStyle: { color: COLOR.event, type: 'dashed', width: 1.5 },
      data: events.map((e) => ({ xAxis: time ? e.x : e.x, name: e.text, label: { show: true, formatter: e.mark, position: 'end', distance: [0, 4 + e.lane * LANE], color: COLOR.event, fontSize: 11 } })),
    },
  }] : []
  return {
    animation: false,
    useUTC: true,
    textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif' },
    grid: { left, right: GRID.right, top: 22 + lanes * LANE, bottom: rotate ? GRID.bottom + 34 : GRID.bottom, containLabel: false },
    xAxis: time
      ? { type: 'time', axisLabel: { hideOverlap: true, color: COLOR.text, formatter: '{HH}:{mm}:{ss}' }, axisLine: { lineStyle: { color: COLOR.text } } }
      : {
          type: 'category', data: points.map((p) => p.label), boundaryGap: true,
          axisLabel: { interval: 'auto', hideOverlap: true, rotate, color: COLOR.text, fontSize: 11 },
          axisTick: { alignWithLabel: true }, axisLine: { lineStyle: { color: COLOR.text } },
        },
    yAxis: {
      // Room above and below the data: the highest point and its marker stay clear of the frame.
      type: 'value', scale: true, boundaryGap: ['6%', '10%'], ...(range ?? {}),
      axisLabel: { formatter: format, color: COLOR.text, fontSize: 11, hideOverlap: true },
      splitLine: { lineStyle: { color: COLOR.grid, type: 'dashed' } },
    },
    series: [
      ...chart.series.map((s) => ({
        type: 'line', name: s.name, connectNulls: false, showSymbol: true, showAllSymbol: 'auto', symbol: 'circle', symbolSize: 7, // filled: hollow means a candidate
        lineStyle: { color: COLOR.line, width: 2 }, itemStyle: { color: COLOR.line },
        // Large series: draw a faithful polyline of ~1 point per pixel instead of 10,000 segments.
        sampling: s.points.length > 2000 ? 'lttb' : undefined,
        data: s.points.map((p) => dataItem(p, time, exponent)),
      })),
      ...eventSeries,
    ],
    graphic: ys.length ? [] : [{ type: 'text', left: 'center', top: 'middle', style: { text: 'no values', fill: COLOR.text, fontSize: 13 } }],
  }
}
