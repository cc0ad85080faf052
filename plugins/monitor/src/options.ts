import { isAbsolute, resolve } from 'node:path'
import { ErrorCode, MlciError, validateOptions, type Shape, type Spec } from '@mlci/core'
import type { AnalysisPlan, MetricPlan, Policy } from './analysis.js'
import { compileCondition, type ConditionFn } from './condition.js'
import { parseDuration } from './duration.js'
import { parseJsonPath } from './json-path.js'
import { PROBE_VALUES, type ProbeValue } from './probe.js'
import { REDUCERS, type PrometheusAuth, type RangeSpec } from './prometheus-api.js'
import { parseQuery } from './prometheus-query.js'
import type { SourceMetric, SourceSpec } from './sources.js'

type Duration = string | number
type Condition = string | ((result: number) => boolean)

export interface MetricOptions {
  /** Names the metric in logs, reports and `result` conditions; unique within the analysis. */
  name: string
  /**
   * A string: a query over the server's own scraped `/metrics` text (no Prometheus server), e.g.
   * `increase(errors_total) / increase(requests_total)`. An object: PromQL sent to a Prometheus
   * server's HTTP API, with `{{version}}`/`{{address}}`/`{{url}}` filled in (escaped).
   */
  prometheus?: string | {
    /** The Prometheus server's base URL, e.g. `http://127.0.0.1:9090`. */
    address: string
    /** PromQL for `/api/v1/query` (or `query_range` with `range`), e.g. `sum(rate(model_errors_total{version="{{version}}"}[1m]))`. */
    query: string
    /** Credentials read from env vars (never written in the config), e.g. `{ bearerTokenEnv: 'PROM_TOKEN' }`. */
    auth?: PrometheusAuth
    /** A range query over the last `duration` at `step` (default duration/30, at least 1 s), reduced to one number by `reduce`. */
    range?: {
      /** How far back the range reaches, e.g. `'5m'`. */
      duration: Duration
      /** Resolution of the range (default duration/30, at least 1 s). */
      step?: Duration
      /** How the series becomes one number: `last`, `avg`, `min` or `max`. */
      reduce: 'last' | 'avg' | 'min' | 'max'
    }
  }
  /** The endpoint `prometheus` scrapes (path relative to `url`, or a URL). Default: the analysis' `metricsPath`. */
  scrape?: string
  /** A JSON endpoint and a path into it: `{ url: '/stats', path: 'latency.p95' }`. */
  json?: {
    /** Endpoint to GET, relative to the base URL or absolute (default `/`). */
    url: string
    /** Where the number is in the answer, e.g. `queue.depth[0]`, `$.a` or `["dotted.key"]`. */
    path: string
  }
  /** Labelled rows POSTed to the prediction endpoint. */
  probe?: {
    /** CSV file of rows to send: a header of feature names plus the label column. */
    csv: string
    /**
     * What the sample's value is: `accuracy` (predictions equal to the labels, over answered rows),
     * `rmse`/`mae`/`mape` for a regression (numeric labels and predictions; mape as a fraction, over
     * rows whose label is not 0), `error_rate` (failed requests / requests), `p50`/`p95`/`p99`
     * (latency in seconds) or `requests`.
     */
    value: ProbeValue
    /** Prediction endpoint on the base URL (default `/predict`). */
    path?: string
    /** The CSV column holding the expected answer (default `label`); it is not sent. */
    label?: string
    /** Rows per request (default 10). */
    batchSize?: number
    /** Rows sent per sample, a sliding window over the CSV (default: every row each sample). */
    rowsPerSample?: number
    /** How each row is sent in `{"rows": [...]}`: `object` (`{"feature": value}`, default) or `array` (values in header order). */
    rowFormat?: 'object' | 'array'
    /** Key of the answer's predictions array (default `classes`; e.g. `predictions` for a regression server). */
    responseKey?: string
  }
  /** Condition for a successful sample, e.g. `'result < 0.05'`, or `(result) => boolean` in a .ts/.mjs config. */
  successCondition?: Condition
  /** Condition for a failed sample, e.g. `'result > 100'`; wins over successCondition. */
  failureCondition?: Condition
  /** Failed samples tolerated for this metric (default: the analysis' failureLimit). */
  failureLimit?: number
  /** Inconclusive samples tolerated for this metric (default: the analysis' inconclusiveLimit). */
  inconclusiveLimit?: number
  /** Measurement errors in a row tolerated for this metric (default: the analysis' consecutiveErrorLimit). */
  consecutiveErrorLimit?: number
  /** A sample without data for this metric counts as a failure (`fail`) or as inconclusive (default: the analysis' noData). */
  noData?: Policy
  /** A sample where neither condition held counts as a failure (`fail`) or as inconclusive (default: the analysis' inconclusive). */
  inconclusive?: Policy
}

export interface MonitorOptions {
  /** Instance name (core's `name` convention: the plugin becomes `@mlci/plugin-monitor#<name>`) and the analysis's name in reports (default `analysis`); use distinct names for several instances. */
  name?: string
  /** Base URL of the server; default: the deployer's `ctx.data.deployment.url`. Required for `mlci monitor`, where no deployer runs, e.g. `http://127.0.0.1:8731`. */
  url?: string
  /** Wait before the first sample: a duration such as `'2s'` or milliseconds (default 0). */
  initialDelay?: Duration
  /** Time between samples: a duration such as `'10s'` or milliseconds (default `10s`). */
  interval?: Duration
  /** Samples taken (default 3). */
  count?: number
  /** Path of the Prometheus text endpoint `prometheus` metrics scrape (default `/metrics`). */
  metricsPath?: string
  /** Per HTTP request (default `5s`). */
  timeout?: Duration
  /** Failed samples a metric may have before the analysis fails (default 0). */
  failureLimit?: number
  /** Inconclusive samples a metric may have before the analysis is inconclusive (default 0). */
  inconclusiveLimit?: number
  /** Measurements in a row that could not be taken before a metric errors (default 4). */
  consecutiveErrorLimit?: number
  /** A sample without data counts as a failure (`fail`, default) or as inconclusive (`inconclusive`). */
  noData?: Policy
  /** A sample where neither condition held counts as a failure (`fail`, default) or as inconclusive. */
  inconclusive?: Policy
  /**
   * Which unsuccessful outcomes ask the release to roll back (default `['Failed', 'Inconclusive']`).
   * `Error` (the analysis could not measure) rolls back only when listed; only `Failed` ever
   * marks a version failed.
   */
  rollbackOn?: Array<'Failed' | 'Error' | 'Inconclusive'>
  /** The metrics to analyse, each with one source (`prometheus`, `json` or `probe`) and a condition. */
  metrics: MetricOptions[]
}

const POLICY = { oneOf: ['fail', 'inconclusive'] } as const
const LIMITS: Shape = { failureLimit: 'integer', inconclusiveLimit: 'integer', consecutiveErrorLimit: 'integer', noData: POLICY, inconclusive: POLICY }

const PROMETHEUS_SERVER: Spec = {
  shape: {
    address: 'string', query: 'string',
    auth: { shape: { bearerTokenEnv: 'string', usernameEnv: 'string', passwordEnv: 'string' } },
    range: { shape: { duration: ['string', 'number'], step: ['string', 'number'], reduce: { oneOf: REDUCERS } }, required: ['duration', 'reduce'] },
  },
  required: ['address', 'query'],
}

const METRIC_SHAPE: Shape = {
  name: 'string',
  prometheus: ['string', PROMETHEUS_SERVER],
  scrape: 'string',
  json: { shape: { url: 'string', path: 'string' }, required: ['path'] },
  probe: {
    shape: { csv: 'string', value: { oneOf: PROBE_VALUES }, path: 'string', label: 'string', batchSize: 'integer', rowsPerSample: 'integer', rowFormat: { oneOf: ['object', 'array'] }, responseKey: 'string' },
    required: ['csv', 'value'],
  },
  successCondition: ['string', 'function'],
  failureCondition: ['string', 'function'],
  ...LIMITS,
}

export const OPTIONS_SHAPE: Shape = {
  name: 'string',
  url: 'string',
  initialDelay: ['string', 'number'],
  interval: ['string', 'number'],
  count: 'integer',
  metricsPath: 'string',
  timeout: ['string', 'number'],
  ...LIMITS,
  rollbackOn: { array: { oneOf: ['Failed', 'Error', 'Inconclusive'] } },
  metrics: { array: { shape: METRIC_SHAPE, required: ['name'] } },
}

export interface NormalizedOptions {
  plan: AnalysisPlan
  /** Sources with relative CSV paths; resolve them against the project root at run time. */
  sources: SourceMetric[]
  url?: string
  timeoutMs: number
}

/** Validate everything a config can get wrong (exit 2 before any phase runs). */
export function normalizeOptions(owner: string, raw: unknown): NormalizedOptions {
  const options = validateOptions<MonitorOptions>(owner, raw, OPTIONS_SHAPE, { required: ['metrics'] })
  const problems: string[] = []
  const at = (key: string, fn: () => void) => {
    try {
      fn()
    } catch (error) {
      problems.push(`${owner}.${key}: ${(error as Error).message}`)
    }
  }
  const ms = (key: keyof MonitorOptions, fallback: number) => {
    let value = fallback
    const given = options[key] as Duration | undefined
    if (given !== undefined) at(key, () => (value = parseDuration(given, key)))
    return value
  }
  const count = options.count ?? 3
  if (count < 1) problems.push(`${owner}.count must be at least 1, got ${count}`)
  if (!options.metrics.length) problems.push(`${owner}.metrics is empty: add at least one metric to analyse`)
  const limit = (key: 'failureLimit' | 'inconclusiveLimit' | 'consecutiveErrorLimit', metric: MetricOptions, fallback: number) => {
    const value = metric[key] ?? options[key] ?? fallback
    if (value < 0) problems.push(`${owner}.${key} must be 0 or more, got ${value}`)
    return value
  }
  const names = new Set<string>()
  const metrics: MetricPlan[] = []
  const sources: SourceMetric[] = []
  options.metrics.forEach((metric, i) => {
    const key = `metrics[${i}]`
    if (names.has(metric.name)) problems.push(`${owner}.${key}.name "${metric.name}" is used twice`)
    names.add(metric.name)
    const kinds = (['prometheus', 'json', 'probe'] as const).filter((k) => metric[k] !== undefined)
    if (kinds.length !== 1) {
      problems.push(`${owner}.${key} (${metric.name}) needs exactly one source: prometheus, json or probe${kinds.length ? ` (got ${kinds.join(' and ')})` : ''}`)
      return
    }
    if (metric.successCondition === undefined && metric.failureCondition === undefined) {
      problems.push(`${owner}.${key} (${metric.name}) needs a successCondition and/or a failureCondition, e.g. "result < 0.05"`)
    }
    const condition = (name: 'successCondition' | 'failureCondition'): ConditionFn | undefined => {
      const given = metric[name]
      if (given === undefined) return undefined
      if (typeof given === 'function') return (result) => Boolean(given(result))
      let fn: ConditionFn | undefined
      at(`${key}.${name}`, () => {
        try {
          fn = compileCondition(given)
        } catch (error) {
          throw new Error(`invalid condition ${JSON.stringify(given)}: ${(error as Error).message}`)
        }
      })
      return fn
    }
    const text = (c: Condition | undefined) => (typeof c === 'function' ? c.toString().slice(0, 80) : c)
    metrics.push({
      name: metric.name,
      success: condition('successCondition'),
      failure: condition('failureCondition'),
      successText: text(metric.successCondition),
      failureText: text(metric.failureCondition),
      failureLimit: limit('failureLimit', metric, 0),
      inconclusiveLimit: limit('inconclusiveLimit', metric, 0),
      consecutiveErrorLimit: limit('consecutiveErrorLimit', metric, 4),
      noData: metric.noData ?? options.noData ?? 'fail',
      inconclusive: metric.inconclusive ?? options.inconclusive ?? 'fail',
    })
    at(key, () => sources.push({ name: metric.name, source: sourceOf(metric, options) }))
  })
  const plan: AnalysisPlan = {
    name: options.name ?? 'analysis',
    rollbackOn: options.rollbackOn ?? ['Failed', 'Inconclusive'],
    initialDelayMs: ms('initialDelay', 0),
    intervalMs: ms('interval', 10_000),
    count,
    metrics,
  }
  const timeoutMs = ms('timeout', 5000)
  if (options.url !== undefined && !/^https?:\/\/[^/]/i.test(options.url)) problems.push(`${owner}.url must be an http(s) URL, got ${JSON.stringify(options.url)}`)
  if (problems.length) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, problems.length === 1 ? `Invalid option: ${problems[0]}` : `Invalid options for ${owner}:\n  - ${problems.join('\n  - ')}`, {
      plugin: owner, hint: `Fix the ${owner} options in your mlci config (conditions: numbers, result, < <= > >= == !=, && || !, parentheses, isNaN(result)).`,
    })
  }
  return { plan, sources, url: options.url, timeoutMs }
}

function sourceOf(metric: MetricOptions, options: MonitorOptions): SourceSpec {
  if (typeof metric.prometheus === 'object') {
    const { address, query, auth } = metric.prometheus
    if (!/^https?:\/\/[^/]/i.test(address)) throw new Error(`prometheus.address must be the http(s) URL of a Prometheus server, got ${JSON.stringify(address)}`)
    if (!query.trim()) throw new Error('prometheus.query is empty: write the PromQL to evaluate, e.g. sum(rate(model_errors_total[1m]))')
    if (auth?.bearerTokenEnv && (auth.usernameEnv || auth.passwordEnv)) throw new Error('prometheus.auth takes bearerTokenEnv or usernameEnv/passwordEnv, not both')
    let range: RangeSpec | undefined
    if (metric.prometheus.range) {
      const r = metric.prometheus.range
      const durationMs = parseDuration(r.duration, 'prometheus.range.duration')
      const stepMs = r.step === undefined ? Math.max(1000, Math.round(durationMs / 30)) : parseDuration(r.step, 'prometheus.range.step')
      if (stepMs <= 0 || stepMs > durationMs) throw new Error(`prometheus.range.step must be more than 0 and at most the duration (${r.duration})`)
      range = { durationMs, stepMs, reduce: r.reduce }
    }
    return { kind: 'prometheus-server', address, query, auth, ...(range ? { range } : {}) }
  }
  if (metric.prometheus !== undefined) {
    try {
      return { kind: 'prometheus', query: parseQuery(metric.prometheus), text: metric.prometheus, endpoint: metric.scrape ?? options.metricsPath ?? '/metrics' }
    } catch (error) {
      throw new Error(`invalid prometheus query: ${(error as Error).message}`)
    }
  }
  if (metric.json) return { kind: 'json', endpoint: metric.json.url ?? '/', path: metric.json.path, steps: parseJsonPath(metric.json.path) }
  const probe = metric.probe!
  if ((probe.batchSize ?? 10) < 1) throw new Error(`probe.batchSize must be at least 1, got ${probe.batchSize}`)
  if (probe.rowsPerSample !== undefined && probe.rowsPerSample < 1) throw new Error(`probe.rowsPerSample must be at least 1, got ${probe.rowsPerSample}`)
  return {
    kind: 'probe', csv: probe.csv, label: probe.label ?? 'label', value: probe.value,
    settings: {
      path: probe.path ?? '/predict', batchSize: probe.batchSize ?? 10, rowsPerSample: probe.rowsPerSample,
      rowFormat: probe.rowFormat ?? 'object', responseKey: probe.responseKey ?? 'classes', timeoutMs: 0,
    },
  }
}

/** Probe CSVs relative to the project root; request timeout filled in. */
export function resolveSources(sources: SourceMetric[], cwd: string, timeoutMs: number): SourceMetric[] {
  return sources.map((m) => m.source.kind !== 'probe' ? m : {
    ...m, source: { ...m.source, csv: isAbsolute(m.source.csv) ? m.source.csv : resolve(cwd, m.source.csv), settings: { ...m.source.settings, timeoutMs } },
  })
}
