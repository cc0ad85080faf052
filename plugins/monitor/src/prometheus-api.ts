import type { Measurement } from './analysis.js'
import { describeFetchError } from './probe.js'

/**
 * A Prometheus server as a metric provider, with Argo Rollouts' semantics: the query goes to
 * `/api/v1/query` (an instant query at the time of the sample); a scalar or a one-series
 * vector is the result; an empty vector or NaN is no data; anything that is not an answer — no
 * connection, a timeout, HTTP 4xx/5xx, a PromQL error, a body that is not the API's JSON — is
 * a measurement error (counted toward consecutiveErrorLimit, never a verdict on the model).
 */

export interface PrometheusServerSpec {
  kind: 'prometheus-server'
  /** Base URL of the server, e.g. http://127.0.0.1:9090 (a path prefix is kept). */
  address: string
  /** PromQL with `{{version}}`, `{{address}}` and `{{url}}` placeholders. */
  query: string
  auth?: PrometheusAuth
  /** Set: a range query over the last `durationMs` (`/api/v1/query_range`), reduced to one number. */
  range?: RangeSpec
}

export const REDUCERS = ['last', 'avg', 'min', 'max'] as const
export interface RangeSpec {
  durationMs: number
  stepMs: number
  /** How the series' points become the result; no default, since max is safe for "below" conditions and min for "above" ones. */
  reduce: (typeof REDUCERS)[number]
}

/** Credentials come from the environment by name, never from the config file itself. */
export interface PrometheusAuth {
  /** Env var holding a bearer token. */
  bearerTokenEnv?: string
  /** Env var holding the basic-auth user name. */
  usernameEnv?: string
  /** Env var holding the basic-auth password (redacted everywhere). */
  passwordEnv?: string
}

/** What a query may refer to: the version under analysis and where it is served. */
export interface QueryVars {
  version: string
  /** The analysed base URL. */
  url: string
}

/**
 * Fill the placeholders. Values are escaped for a PromQL double-quoted string (backslash, quote,
 * newline), so `model_info{version="{{version}}"}` stays one label matcher whatever the value.
 * `{{address}}` is host:port, what Prometheus puts in the `instance` label of a scraped target.
 */
export function renderQuery(template: string, vars: QueryVars): string {
  let host = ''
  try {
    host = new URL(vars.url).host
  } catch {
    // a bad URL leaves {{address}} empty; the query then matches nothing (no data)
  }
  const values: Record<string, string> = { version: vars.version, url: vars.url, address: host }
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (name in values ? escapePromString(values[name]) : whole))
}

export function escapePromString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** Authorization header from the env; throws naming the variable when it is unset. */
export function authHeader(auth: PrometheusAuth | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!auth) return {}
  const read = (name: string) => {
    const value = env[name]
    if (!value) throw new Error(`the environment variable ${name} (prometheus auth) is not set`)
    return value
  }
  if (auth.bearerTokenEnv) return { authorization: `Bearer ${read(auth.bearerTokenEnv)}` }
  if (auth.usernameEnv || auth.passwordEnv) {
    const user = auth.usernameEnv ? read(auth.usernameEnv) : ''
    const pass = auth.passwordEnv ? read(auth.passwordEnv) : ''
    return { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` }
  }
  return {}
}

interface ApiAnswer {
  status?: string
  error?: string
  errorType?: string
  data?: { resultType?: string; result?: unknown }
}

export interface QueryOptions {
  timeoutMs: number
  signal?: AbortSignal
  headers: Record<string, string>
}

/** Run one instant query and turn the answer into a measurement. */
export async function queryPrometheus(spec: PrometheusServerSpec, query: string, options: QueryOptions): Promise<Measurement> {
  const endpoint = `${spec.address.replace(/\/+$/, '')}/api/v1/${spec.range ? 'query_range' : 'query'}`
  const form: Record<string, string> = { query }
  if (spec.range) {
    const end = Date.now() / 1000
    Object.assign(form, { start: String(end - spec.range.durationMs / 1000), end: String(end), step: String(spec.range.stepMs / 1000) })
  }
  const where = `Prometheus ${spec.address}`
  let status: number
  let text: string
  try {
    const timeout = AbortSignal.timeout(options.timeoutMs)
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
      body: new URLSearchParams(form).toString(),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      redirect: 'error',
    })
    status = response.status
    text = await response.text()
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error
    return { value: Number.NaN, error: `${where}: ${describeFetchError(error)}` }
  }
  let answer: ApiAnswer | undefined
  try {
    answer = JSON.parse(text) as ApiAnswer
  } catch {
    // handled below: an HTTP error page or a proxy's answer
  }
  if (status < 200 || status >= 300 || answer?.status !== 'success') {
    const why = answer?.error ? `${answer.errorType ? `${answer.errorType}: ` : ''}${answer.error}` : text.trim().slice(0, 160) || 'empty body'
    return { value: Number.NaN, error: `${where}: HTTP ${status} for ${JSON.stringify(query)}: ${why}` }
  }
  if (spec.range && answer.data?.resultType === 'matrix') return fromMatrix(answer.data.result, query, spec.range)
  return fromResult(answer.data?.resultType, answer.data?.result, query)
}

/** One series of a range query, reduced; NaN points are gaps, and a series of gaps is no data. */
function fromMatrix(result: unknown, query: string, range: RangeSpec): Measurement {
  const series = (Array.isArray(result) ? result : []) as { metric: Record<string, string>; values: [number, string][] }[]
  if (!series.length) return { value: Number.NaN, noData: `${JSON.stringify(query)} returned no series over the range` }
  if (series.length > 1) return { value: Number.NaN, error: `${JSON.stringify(query)} returned ${series.length} series; aggregate to one, e.g. sum(…) or max(…)` }
  const points = series[0].values.map(([, v]) => Number(v)).filter((v) => Number.isFinite(v))
  if (!points.length) return { value: Number.NaN, noData: `${JSON.stringify(query)} has no finite point over the range` }
  const value = range.reduce === 'last' ? points[points.length - 1]
    : range.reduce === 'avg' ? points.reduce((a, b) => a + b, 0) / points.length
      : range.reduce === 'min' ? Math.min(...points) : Math.max(...points)
  return { value }
}

function fromResult(type: string | undefined, result: unknown, query: string): Measurement {
  if (type === 'scalar') return number((result as [number, string])[1], `${JSON.stringify(query)} is NaN`)
  if (type === 'vector' && Array.isArray(result)) {
    const series = result as { metric: Record<string, string>; value: [number, string] }[]
    if (!series.length) return { value: Number.NaN, noData: `${JSON.stringify(query)} returned no series` }
    if (series.length > 1) {
      const shown = series.slice(0, 3).map((s) => labels(s.metric)).join(', ')
      return { value: Number.NaN, error: `${JSON.stringify(query)} returned ${series.length} series (${shown}${series.length > 3 ? ', …' : ''}); aggregate to one value, e.g. sum(…) or max(…)` }
    }
    return number(series[0].value?.[1], `${JSON.stringify(query)} is NaN for ${labels(series[0].metric)}`)
  }
  if (type === 'matrix') return { value: Number.NaN, error: `${JSON.stringify(query)} returned a range vector; wrap the [range] selector in a function such as rate(…) or avg_over_time(…)` }
  return { value: Number.NaN, error: `${JSON.stringify(query)} returned a ${type ?? 'missing'} result, not a number` }
}

function number(raw: string | undefined, noData: string): Measurement {
  // Prometheus writes infinities as "+Inf"/"-Inf", which Number() does not read.
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
  if (raw === undefined || Number.isNaN(value)) return { value: Number.NaN, noData }
  if (!Number.isFinite(value)) return { value, noData: noData.replace(/NaN/, String(value)) }
  return { value }
}

function labels(metric: Record<string, string> | undefined): string {
  const { __name__: name = '', ...rest } = metric ?? {}
  return `${name}{${Object.entries(rest).map(([k, v]) => `${k}="${v}"`).join(',')}}`
}
