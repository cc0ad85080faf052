import type { Chart, ChartPoint } from './chart.js'
import { formatNumber } from './format.js'

const W = 640
const H = 240
const M = { left: 60, right: 20, top: 20, bottom: 52 }
const MAX_X_LABELS = 10

/** An inline SVG line chart. No scripts, no external references: it renders offline and prints. */
export function renderChartSvg(chart: Chart, esc: (text: string) => string): string {
  const points = chart.series.flatMap((s) => s.points)
  const ys = points.map((p) => p.y).filter((y): y is number => y !== null && Number.isFinite(y))
  const [y0, y1] = yRange(ys)
  const ticks = niceTicks(y0, y1)
  const lo = Math.min(y0, ticks[0])
  const hi = Math.max(y1, ticks[ticks.length - 1])
  const xs = points.map((p) => p.x)
  const xmin = Math.min(...xs)
  const xmax = Math.max(...xs)
  const plotW = W - M.left - M.right
  const plotH = H - M.top - M.bottom
  const sx = (x: number) => M.left + (xmax === xmin ? plotW / 2 : ((x - xmin) / (xmax - xmin)) * plotW)
  const sy = (y: number) => M.top + plotH - ((y - lo) / (hi - lo)) * plotH
  const r = (n: number) => n.toFixed(1)

  const grid = ticks.map((t) => `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${r(sy(t))}" y2="${r(sy(t))}"/>` +
    `<text class="tick y" x="${M.left - 6}" y="${r(sy(t) + 4)}" text-anchor="end">${esc(formatNumber(t))}</text>`).join('')
  const xLabels = chart.axis === 'time' ? timeLabels(xmin, xmax, sx, r) : categoryLabels(chart.series[0]?.points ?? [], sx, r, esc)
  const events = chart.events.map((e) => `<g class="event rollback"><line x1="${r(sx(e.x))}" x2="${r(sx(e.x))}" y1="${M.top}" y2="${M.top + plotH}"/>` +
    `<text x="${r(sx(e.x) + 4)}" y="${M.top + 12}">${esc(e.label)}</text><title>${esc(e.label)}</title></g>`).join('')
  const series = chart.series.map((s) => {
    const d = pathOf(s.points, sx, sy, r)
    const marks = s.points.filter((p) => p.y !== null).map((p) => point(p, sx(p.x), sy(p.y!), r, esc)).join('')
    return `<g class="series-group" data-series="${esc(s.name)}"><path class="series" data-series="${esc(s.name)}" d="${d}"/>${marks}</g>`
  }).join('')
  const empty = ys.length ? '' : `<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">no values</text>`
  const titleId = `${chart.id}-title`
  return `<svg class="chart" data-chart="${chart.kind}" data-metric="${esc(chart.title)}" id="${esc(chart.id)}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${titleId}">${esc(chart.title)}</title>` +
    `<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}"/>` +
    `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>` +
    grid + xLabels + events + series + empty + '</svg>'
}

function point(p: ChartPoint, x: number, y: number, r: (n: number) => string, esc: (t: string) => string): string {
  const cls = `point${p.marker ? ` marker-${p.marker}` : ''}`
  const title = `<title>${esc(p.title)}</title>`
  const dot = `<circle class="${cls}" cx="${r(x)}" cy="${r(y)}" r="${p.marker === 'live' ? 5.5 : 3.5}" data-label="${esc(p.label)}">${title}</circle>`
  if (p.marker === 'live') return `${dot}<text class="marker-label live" x="${r(x)}" y="${r(y - 10)}" text-anchor="middle">live</text>`
  if (p.marker === 'failed') {
    const s = 5
    return `${dot}<path class="cross" d="M${r(x - s)},${r(y - s)}L${r(x + s)},${r(y + s)}M${r(x - s)},${r(y + s)}L${r(x + s)},${r(y - s)}"/>`
  }
  return dot
}

/** Line segments between consecutive known values; a missing value breaks the line. */
function pathOf(points: ChartPoint[], sx: (x: number) => number, sy: (y: number) => number, r: (n: number) => string): string {
  let d = ''
  let pen = false
  for (const p of points) {
    if (p.y === null || !Number.isFinite(p.y)) {
      pen = false
      continue
    }
    d += `${pen ? 'L' : 'M'}${r(sx(p.x))},${r(sy(p.y))}`
    pen = true
  }
  return d
}

function categoryLabels(points: ChartPoint[], sx: (x: number) => number, r: (n: number) => string, esc: (t: string) => string): string {
  const every = Math.ceil(points.length / MAX_X_LABELS)
  const rotate = points.length > 5
  return points.filter((_, i) => i % every === 0 || i === points.length - 1).map((p) => {
    const x = r(sx(p.x))
    const y = H - M.bottom + 16
    const transform = rotate ? ` transform="rotate(-30 ${x} ${y})"` : ''
    return `<text class="tick x" x="${x}" y="${y}" text-anchor="${rotate ? 'end' : 'middle'}"${transform}>${esc(p.label)}</text>`
  }).join('')
}

function timeLabels(min: number, max: number, sx: (x: number) => number, r: (n: number) => string): string {
  const n = max === min ? 1 : 4
  return Array.from({ length: n + 1 }, (_, i) => min + ((max - min) * i) / n).slice(0, max === min ? 1 : undefined).map((t) =>
    `<text class="tick x" x="${r(sx(t))}" y="${H - M.bottom + 16}" text-anchor="middle">${new Date(t).toISOString().slice(11, 19)}</text>`).join('')
}

function yRange(ys: number[]): [number, number] {
  if (!ys.length) return [0, 1]
  const lo = Math.min(...ys)
  const hi = Math.max(...ys)
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.05 || 1
    return [lo - pad, hi + pad]
  }
  // Room above and below so the extreme points and their labels stay off the frame.
  const pad = (hi - lo) * 0.08
  return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad]
}

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / (count - 1)
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag
  const start = lo >= 0 ? Math.max(0, Math.floor(lo / step) * step) : Math.floor(lo / step) * step
  const ticks: number[] = []
  for (let t = start; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)))
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)))
  return ticks
}
