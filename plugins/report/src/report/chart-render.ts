import type { Chart, ChartImages, ChartPoint } from './chart.js'
import { CHART_HEIGHT, CHART_WIDTH, chartOption, eventLabels } from './chart-option.js'
import { esc } from './escape.js'

/**
 * Charts drawn by Apache ECharts' server-side SVG renderer (no browser, no DOM, no canvas).
 * ECharts is imported on first use only: commands that render no HTML report never load it.
 * The SVG carries no script; a browser shows each point's value through SVG `<title>` tooltips.
 */
type ECharts = typeof import('echarts/core')

export async function loadEcharts(): Promise<ECharts> {
  return (await import('./echarts-setup.js')).echarts
}

/** Every chart, each on its own: one that ECharts rejects is an error entry, not a lost report. */
export async function renderChartSvgs(charts: Chart[]): Promise<ChartImages> {
  const echarts = await loadEcharts()
  const out: ChartImages = {}
  for (const chart of charts) {
    try {
      out[chart.id] = { svg: renderOne(echarts, chart) }
    } catch (error) {
      out[chart.id] = { error: error instanceof Error ? error.message || error.name : String(error) }
    }
  }
  return out
}

function renderOne(echarts: ECharts, chart: Chart): string {
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART_WIDTH, height: CHART_HEIGHT })
  try {
    instance.setOption(chartOption(chart))
    return annotate(instance.renderToSVGString(), chart)
  } finally {
    instance.dispose()
  }
}

/**
 * ECharts marks each data element with `ecmeta_*` attributes (meant for its SSR client script).
 * Turn them into what a reader and a test need instead: a `<title>` tooltip and data attributes
 * naming the point, its marker and series; prefix generated ids so charts on one page never clash.
 */
function annotate(svg: string, chart: Chart): string {
  const prefix = `${chart.id}-`
  const events = eventLabels(chart, chart.series[0]?.points.length ?? 0)
  const eventSeries = chart.series.length
  svg = svg.replace(/\bzr(\d+)-/g, `${prefix}zr$1-`)
  svg = svg.replace(
    /<(\w+)([^<>]*?) ecmeta_series_index="(\d+)" ecmeta_data_index="(\d+)"([^<>]*?)(\/?)>/g,
    (whole, tag: string, before: string, s: string, i: string, after: string, selfClosing: string) => {
      const series = Number(s)
      const index = Number(i)
      const rest = `${before}${after.replace(/ ecmeta_\w+="[^"]*"/g, '')}`
      let attrs = ''
      let title = ''
      if (series < eventSeries) {
        const p: ChartPoint | undefined = chart.series[series].points[index]
        if (!p) return whole
        attrs = ` data-series="${esc(chart.series[series].name)}" data-point="${esc(p.label)}"${p.marker ? ` data-marker="${p.marker}"` : ''}`
        title = p.title
      } else {
        const e = events[index]
        if (!e) return whole
        attrs = ` data-event="${esc(e.mark)}"`
        title = `${e.mark} ${e.text}`
      }
      const open = `<${tag}${rest}${attrs}>`
      return selfClosing ? `${open}<title>${esc(title)}</title></${tag}>` : `${open}<title>${esc(title)}</title>`
    },
  )
  svg = svg.replace(/ ecmeta_\w+="[^"]*"/g, '')
  return svg.replace(/^<svg width="\d+" height="\d+"/, `<svg class="chart" id="${esc(chart.id)}" data-chart="${chart.kind}" data-metric="${esc(chart.title)}" role="img" aria-label="${esc(chart.title)}"`)
}

/** This module's own URL: chart-isolate.ts starts a worker that imports it. */
export const RENDERER_URL = import.meta.url

/** Worker side of renderChartsIsolated: render `workerData.charts`, post the images back. */
export async function serveChartWorker(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads')
  try {
    parentPort!.postMessage({ images: await renderChartSvgs(workerData.charts as Chart[]) })
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) })
  }
}
