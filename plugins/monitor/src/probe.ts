import { readFile } from 'node:fs/promises'
import { parseCsv } from './csv.js'

/**
 * A probe: labelled rows (a CSV whose header is the feature names plus a label column) POSTed to
 * the prediction endpoint as `{"rows": [...]}`; the answer's predictions (`classes` by default,
 * `responseKey`) are compared with the labels. One run gives live accuracy for a classifier, live
 * rmse/mae/mape for a regression (numeric labels and predictions), the request error rate and
 * request latency percentiles.
 */

export const PROBE_VALUES = ['accuracy', 'rmse', 'mae', 'mape', 'error_rate', 'p50', 'p95', 'p99', 'requests'] as const
export type ProbeValue = (typeof PROBE_VALUES)[number]

export interface ProbeDataset {
  file: string
  features: string[]
  rows: { values: (number | string)[]; label: string }[]
}

export interface ProbeSettings {
  /** Path or URL of the prediction endpoint, relative to the base URL. */
  path: string
  /** Rows per request (default 10): latency percentiles are over requests, accuracy over rows. */
  batchSize: number
  /** Rows per sample; successive samples walk through the dataset. */
  rowsPerSample?: number
  /** `object`: rows as {feature: value}; `array`: rows as value lists in header order. */
  rowFormat: 'object' | 'array'
  /** Key of the predicted labels in the answer. */
  responseKey: string
  timeoutMs: number
}

export interface ProbeResult {
  values: Record<ProbeValue, number>
  requests: number
  failed: number
  /** No request got any HTTP answer: the endpoint is unreachable (a measurement error, not data). */
  unreachable: boolean
  /**
   * The first HTTP 4xx answer, if any: the server refused the probe's rows (an input signature
   * that changed, a wrong path) — the probe cannot measure this model, which is not a verdict on it.
   */
  rejected?: string
  firstError?: string
  /** Why rmse/mae/mape could not be computed for some answered row (a label or prediction that is not a number). */
  unscored?: string
}

export async function loadProbeDataset(file: string, labelColumn: string): Promise<ProbeDataset> {
  const table = parseCsv(await readFile(file, 'utf8'))
  const [header, ...body] = table
  if (!header || !body.length) throw new Error(`${file} has no data rows (expected a header and labelled rows)`)
  const labelAt = header.indexOf(labelColumn)
  if (labelAt < 0) throw new Error(`${file} has no "${labelColumn}" column (header: ${header.join(', ')})`)
  const features = header.filter((_, i) => i !== labelAt)
  const rows = body.map((cells, n) => {
    if (cells.length !== header.length) throw new Error(`${file}:${n + 2} has ${cells.length} fields, the header has ${header.length}`)
    const values = cells.filter((_, i) => i !== labelAt).map((c) => (c.trim() !== '' && Number.isFinite(Number(c)) ? Number(c) : c))
    return { values, label: cells[labelAt] }
  })
  return { file, features, rows }
}

/** The rows of sample `index` (0-based): all rows, or the next window of `rowsPerSample`. */
function rowsFor(dataset: ProbeDataset, settings: ProbeSettings, index: number): ProbeDataset['rows'] {
  const n = settings.rowsPerSample
  if (!n || n >= dataset.rows.length) return dataset.rows
  const start = (index * n) % dataset.rows.length
  return Array.from({ length: n }, (_, k) => dataset.rows[(start + k) % dataset.rows.length])
}

export async function runProbe(url: string, dataset: ProbeDataset, settings: ProbeSettings, index: number, signal?: AbortSignal): Promise<ProbeResult> {
  const rows = rowsFor(dataset, settings, index)
  const latencies: number[] = []
  let requests = 0, failed = 0, answered = 0, correct = 0, gotResponse = false
  let firstError: string | undefined, rejected: string | undefined
  const errors = new RegressionErrors()
  for (let start = 0; start < rows.length; start += settings.batchSize) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted')
    const batch = rows.slice(start, start + settings.batchSize)
    const payload = batch.map((r) => (settings.rowFormat === 'array' ? r.values : Object.fromEntries(dataset.features.map((f, i) => [f, r.values[i]]))))
    requests++
    const began = performance.now()
    try {
      const response = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: payload }),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs)]) : AbortSignal.timeout(settings.timeoutMs),
      })
      const text = await response.text()
      latencies.push((performance.now() - began) / 1000)
      gotResponse = true
      if (!response.ok) {
        const problem = `HTTP ${response.status}${text ? `: ${text.slice(0, 120)}` : ''}`
        if (response.status >= 400 && response.status < 500) rejected ??= problem
        throw new Error(problem)
      }
      const predicted = (JSON.parse(text) as Record<string, unknown>)[settings.responseKey]
      if (!Array.isArray(predicted) || predicted.length !== batch.length) {
        throw new Error(`the answer has no "${settings.responseKey}" list of ${batch.length} predictions`)
      }
      answered += batch.length
      predicted.forEach((p, i) => {
        if (String(p) === batch[i].label) correct++
        errors.add(p, batch[i].label, start + i)
      })
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error
      failed++
      firstError ??= describeFetchError(error)
    }
  }
  return {
    requests, failed, firstError, unreachable: !gotResponse, rejected, unscored: errors.problem,
    values: {
      accuracy: answered ? correct / answered : Number.NaN,
      ...errors.values(),
      error_rate: requests ? failed / requests : Number.NaN,
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      requests,
    },
  }
}

/**
 * Regression errors over the answered rows: rmse, mae, and mape (mean |error| / |label|, as a
 * fraction, over rows whose label is not 0). A row whose label or prediction is not a number is
 * not scored, and the first such row is named; no scored row gives NaN (no data).
 */
class RegressionErrors {
  private n = 0
  private squared = 0
  private absolute = 0
  private relative = 0
  private relativeRows = 0
  problem?: string

  add(prediction: unknown, label: string, row: number): void {
    const y = label.trim() === '' ? Number.NaN : Number(label)
    const p = typeof prediction === 'number' ? prediction : typeof prediction === 'string' && prediction.trim() !== '' ? Number(prediction) : Number.NaN
    if (!Number.isFinite(y) || !Number.isFinite(p)) {
      this.problem ??= !Number.isFinite(y)
        ? `the label ${JSON.stringify(label)} of probe row ${row + 1} is not a number`
        : `the prediction ${JSON.stringify(prediction)} for probe row ${row + 1} is not a number`
      return
    }
    const e = p - y
    this.n++
    this.squared += e * e
    this.absolute += Math.abs(e)
    if (y !== 0) {
      this.relative += Math.abs(e) / Math.abs(y)
      this.relativeRows++
    }
  }

  values(): { rmse: number; mae: number; mape: number } {
    return {
      rmse: this.n ? Math.sqrt(this.squared / this.n) : Number.NaN,
      mae: this.n ? this.absolute / this.n : Number.NaN,
      mape: this.relativeRows ? this.relative / this.relativeRows : Number.NaN,
    }
  }
}

/** Linear interpolation between closest ranks (numpy's default); NaN for no data. */
export function percentile(values: number[], q: number): number {
  if (!values.length) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos), hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

export function describeFetchError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError') return 'timed out'
  const cause = e?.cause
  return cause ? `${e.message}: ${cause.code ?? cause.message ?? String(cause)}` : String(e?.message ?? e)
}
