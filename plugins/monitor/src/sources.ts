import type { Measurement } from './analysis.js'
import { getPath, type PathStep } from './json-path.js'
import { describeFetchError, loadProbeDataset, runProbe, type ProbeDataset, type ProbeResult, type ProbeSettings, type ProbeValue } from './probe.js'
import { authHeader, queryPrometheus, renderQuery, type PrometheusServerSpec } from './prometheus-api.js'
import { evaluateQuery, needsPrevious, type Query } from './prometheus-query.js'
import { parsePrometheusText, type PromScrape } from './prometheus-text.js'

/** Where a metric's value comes from (normalized options). */
export type SourceSpec =
  | { kind: 'prometheus'; query: Query; text: string; endpoint: string }
  | { kind: 'json'; endpoint: string; path: string; steps: PathStep[] }
  | { kind: 'probe'; csv: string; label: string; value: ProbeValue; settings: ProbeSettings }
  | PrometheusServerSpec

export interface SourceMetric { name: string; source: SourceSpec }

export interface MeasurerOptions {
  baseUrl: string
  /** Per HTTP request. */
  timeoutMs: number
  signal?: AbortSignal
  /** The version under analysis, for `{{version}}` in Prometheus server queries. */
  version?: string
}

/** `/metrics` against `http://host:8080/app` → `http://host:8080/app/metrics`; absolute URLs stay. */
export function resolveUrl(base: string, endpoint: string): string {
  if (/^https?:\/\//i.test(endpoint)) return endpoint
  return base.replace(/\/+$/, '') + (endpoint.startsWith('/') ? endpoint : `/${endpoint}`)
}

interface Scraped { scrape: PromScrape; at: number }

/**
 * Reads every metric of one sample. Probes run first, so the traffic they generate is visible
 * in the same sample's scrape; each endpoint is fetched once per sample however many metrics
 * read it; rates compare with the previous successful scrape of the same endpoint.
 */
export class Measurer {
  private readonly previous = new Map<string, Scraped>()
  private readonly datasets = new Map<string, ProbeDataset>()
  private readonly auth = new Map<SourceSpec, Record<string, string>>()

  private readonly metrics: SourceMetric[]

  constructor(metrics: SourceMetric[], private readonly options: MeasurerOptions) {
    // Probes first (stable sort: otherwise in configured order).
    this.metrics = [...metrics].sort((a, b) => rank(a.source) - rank(b.source))
  }

  /** Load probe datasets up front: a missing CSV is a configuration error, not a bad sample. */
  async prepare(): Promise<void> {
    for (const { source } of this.metrics) {
      if (source.kind !== 'probe' || this.datasets.has(source.csv)) continue
      this.datasets.set(source.csv, await loadProbeDataset(source.csv, source.label))
    }
  }

  /** Resolve Prometheus server credentials from the env: an unset variable is a configuration error. */
  prepareAuth(env: NodeJS.ProcessEnv): void {
    for (const { source } of this.metrics) if (source.kind === 'prometheus-server') this.auth.set(source, authHeader(source.auth, env))
  }

  get needsBaseline(): boolean {
    return this.metrics.some((m) => m.source.kind === 'prometheus' && needsPrevious(m.source.query))
  }

  /** Scrape every endpoint a rate/ratio/quantile reads, so the first sample has something to compare with. */
  async baseline(): Promise<void> {
    const endpoints = new Set(this.metrics.flatMap((m) => (m.source.kind === 'prometheus' && needsPrevious(m.source.query) ? [m.source.endpoint] : [])))
    for (const endpoint of endpoints) {
      const result = await this.scrape(resolveUrl(this.options.baseUrl, endpoint))
      if ('scrape' in result) this.previous.set(endpoint, result)
    }
  }

  async measure(index: number): Promise<Record<string, Measurement>> {
    const out: Record<string, Measurement> = {}
    const probes = new Map<string, Promise<ProbeResult | { error: string }>>()
    const scrapes = new Map<string, Promise<Scraped | { error: string }>>()
    const documents = new Map<string, Promise<{ text: string; at: number } | { error: string }>>()
    for (const metric of this.metrics) {
      const source = metric.source
      if (source.kind === 'probe') {
        const key = JSON.stringify([source.csv, source.settings])
        if (!probes.has(key)) probes.set(key, this.probe(source, index - 1))
        out[metric.name] = fromProbe(await probes.get(key)!, source.value)
      } else if (source.kind === 'json') {
        const url = resolveUrl(this.options.baseUrl, source.endpoint)
        if (!documents.has(url)) documents.set(url, this.get(url))
        out[metric.name] = this.json(source, url, await documents.get(url)!)
      } else if (source.kind === 'prometheus-server') {
        const query = renderQuery(source.query, { version: this.options.version ?? '', url: this.options.baseUrl })
        out[metric.name] = await queryPrometheus(source, query, { timeoutMs: this.options.timeoutMs, signal: this.options.signal, headers: this.auth.get(source) ?? {} })
      } else {
        if (!scrapes.has(source.endpoint)) scrapes.set(source.endpoint, this.scrape(resolveUrl(this.options.baseUrl, source.endpoint)))
        out[metric.name] = this.prometheus(source, await scrapes.get(source.endpoint)!)
      }
    }
    for (const [endpoint, pending] of scrapes) {
      const result = await pending
      if ('scrape' in result) this.previous.set(endpoint, result)
    }
    return out
  }

  private prometheus(source: Extract<SourceSpec, { kind: 'prometheus' }>, current: Scraped | { error: string }): Measurement {
    if ('error' in current) return { value: Number.NaN, error: current.error }
    const url = resolveUrl(this.options.baseUrl, source.endpoint)
    if (!current.scrape.samples.length) return { value: Number.NaN, noData: `${url} returned no samples (empty body)` }
    const previous = this.previous.get(source.endpoint)
    if (needsPrevious(source.query) && !previous) return { value: Number.NaN, error: 'no earlier successful scrape to compare with yet' }
    const result = evaluateQuery(source.query, { current: current.scrape, previous: previous?.scrape, elapsedSeconds: previous ? (current.at - previous.at) / 1000 : undefined })
    return result.noData ? { value: Number.NaN, noData: result.noData } : { value: result.value }
  }

  private async scrape(url: string): Promise<Scraped | { error: string }> {
    const got = await this.get(url)
    if ('error' in got) return got
    try {
      return { scrape: parsePrometheusText(got.text), at: got.at }
    } catch (error) {
      return { error: `${url} is not Prometheus text: ${(error as Error).message}` }
    }
  }

  private json(source: Extract<SourceSpec, { kind: 'json' }>, url: string, got: { text: string } | { error: string }): Measurement {
    if ('error' in got) return { value: Number.NaN, error: got.error }
    if (!got.text.trim()) return { value: Number.NaN, noData: `${url} returned an empty body` }
    let document: unknown
    try {
      document = JSON.parse(got.text)
    } catch (error) {
      return { value: Number.NaN, error: `${url} did not return JSON: ${(error as Error).message}` }
    }
    const value = getPath(document, source.steps)
    if (value === undefined || value === null) return { value: Number.NaN, noData: `no value at "${source.path}" in ${url}` }
    if (typeof value === 'number') return Number.isFinite(value) ? { value } : { value, noData: `the value at "${source.path}" is ${value}` }
    if (typeof value === 'boolean') return { value: value ? 1 : 0 }
    if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return { value: Number(value) }
    return { value: Number.NaN, error: `the value at "${source.path}" in ${url} is ${JSON.stringify(value).slice(0, 60)}, not a number` }
  }

  private async probe(source: Extract<SourceSpec, { kind: 'probe' }>, index: number): Promise<ProbeResult | { error: string }> {
    const dataset = this.datasets.get(source.csv)
    if (!dataset) return { error: `probe dataset ${source.csv} was not loaded` }
    return runProbe(resolveUrl(this.options.baseUrl, source.settings.path), dataset, source.settings, index, this.options.signal)
  }

  private async get(url: string): Promise<{ text: string; at: number } | { error: string }> {
    const { signal, timeoutMs } = this.options
    try {
      const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) })
      const text = await response.text()
      if (!response.ok) return { error: `GET ${url}: HTTP ${response.status}` }
      return { text, at: Date.now() }
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error
      return { error: `GET ${url}: ${describeFetchError(error)}` }
    }
  }
}

function rank(source: SourceSpec): number {
  return source.kind === 'probe' ? 0 : 1
}

const REGRESSION = new Set<ProbeValue>(['rmse', 'mae', 'mape'])

function fromProbe(result: ProbeResult | { error: string }, value: ProbeValue): Measurement {
  if ('error' in result) return { value: Number.NaN, error: result.error }
  if (result.unreachable) return { value: Number.NaN, error: `no probe request got an answer (${result.firstError})` }
  if (result.rejected) return { value: Number.NaN, error: `the server rejected the probe rows (${result.rejected}); check the probe CSV matches the model's inputs` }
  const v = result.values[value]
  // A classifier's labels probed for rmse (or answers that are not numbers): the probe is set up wrong.
  if (Number.isNaN(v) && REGRESSION.has(value) && result.unscored) return { value: v, error: `${value} needs numeric labels and predictions: ${result.unscored}; check the probe's label column and responseKey` }
  if (Number.isNaN(v)) return { value: v, noData: `all ${result.requests} probe requests failed (first: ${result.firstError})` }
  return { value: v }
}
