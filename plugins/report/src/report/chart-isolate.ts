import { Worker } from 'node:worker_threads'
import { errorMessage } from '@mlci/core'
import type { Chart, ChartImages } from './chart.js'
import { readCachedCharts, writeCachedCharts } from './chart-cache.js'

/** Default time budget for all charts of one report; `report.chartTimeout` overrides it. */
export const DEFAULT_CHART_TIMEOUT_MS = 20_000
/** A chart that would need more memory than this is a failed chart, not an aborted mlci. */
const WORKER_HEAP_MB = 512

export interface IsolatedCharts {
  images: ChartImages
  /** Why some or all charts are missing (the report is written without them). */
  warning?: string
}

/**
 * Render the charts in a worker thread with a deadline. A chart library bug, a pathological
 * series or a heap blow-up can then cost at most `timeoutMs` and a warning: the worker is
 * terminated and the build's outcome, lock and exit code are untouched (a tick loop that never
 * ended once hung every later build). The worker imports the renderer module by its own URL, so
 * it runs the same code (bundled chunk or compiled file) as this process would.
 */
export async function renderChartsIsolated(charts: Chart[], options: { timeoutMs?: number; cacheDir?: string } = {}): Promise<IsolatedCharts> {
  const cached = options.cacheDir ? await readCachedCharts(options.cacheDir, charts) : {}
  const todo = charts.filter((c) => cached[c.id] === undefined)
  const drawn = await renderInWorker(todo, options.timeoutMs)
  const fresh = Object.fromEntries(Object.entries(drawn.images).flatMap(([id, v]) => ('svg' in v ? [[id, v.svg]] : [])))
  if (options.cacheDir && Object.keys(fresh).length) await writeCachedCharts(options.cacheDir, charts, { ...cached, ...fresh })
  return { images: { ...Object.fromEntries(Object.entries(cached).map(([id, svg]) => [id, { svg }])), ...drawn.images }, warning: drawn.warning }
}

async function renderInWorker(charts: Chart[], timeoutMs = DEFAULT_CHART_TIMEOUT_MS): Promise<IsolatedCharts> {
  if (!charts.length) return { images: {} }
  const { RENDERER_URL } = await import('./chart-render.js')
  const code = `const { parentPort, workerData } = require('node:worker_threads')
import(workerData.module).then((m) => m.serveChartWorker(), (e) => parentPort.postMessage({ error: String((e && e.message) || e) }))`
  return new Promise<IsolatedCharts>((resolve) => {
    let settled = false
    const worker = new Worker(code, { eval: true, workerData: { module: RENDERER_URL, charts }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB }, stdout: true, stderr: true })
    const finish = (result: IsolatedCharts) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void worker.terminate()
      resolve(result)
    }
    const missing = (why: string) => finish({ images: {}, warning: `charts were not rendered: ${why}` })
    const timer = setTimeout(() => missing(`rendering took longer than ${timeoutMs} ms (report.chartTimeout)`), timeoutMs)
    worker.on('message', (m: { images?: ChartImages; error?: string }) => {
      if (m.images) {
        const failed = Object.entries(m.images).filter(([, v]) => 'error' in v)
        finish({ images: m.images, warning: failed.length ? `${failed.length} of ${charts.length} charts could not be drawn (${failed.map(([id, v]) => `${id}: ${'error' in v ? v.error : ''}`).join('; ')})` : undefined })
      } else missing(m.error ?? 'the renderer failed')
    })
    worker.on('error', (e) => missing(errorMessage(e)))
    worker.on('exit', (code) => missing(`the renderer exited with code ${code}`))
  })
}
