import type { PromSample, PromScrape } from './prometheus-text.js'

/**
 * A small PromQL subset evaluated over two consecutive scrapes of one `/metrics` endpoint
 * (there is no Prometheus server: the window of `rate`/`increase` is the time between scrapes).
 *
 *   model_info{version="v1"}                          instant value (sum of matching series)
 *   increase(model_errors_total)                      counter increase since the previous scrape
 *   rate(model_requests_total{code=~"5.."})           increase per second
 *   histogram_quantile(0.95, model_request_duration_seconds_bucket)
 *                                                     quantile of the observations since the previous scrape
 *   increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})
 *                                                     a ratio (0/0 is "no data", never 0)
 *
 * Matchers: `=`, `!=`, `=~`, `!~` (regexes are anchored, as in PromQL). Several matching series
 * are summed (like `sum(...)`); buckets are summed per `le`.
 */

export interface Matcher { label: string; op: '=' | '!=' | '=~' | '!~'; value: string; regex?: RegExp }
export interface Selector { name: string; matchers: Matcher[] }
export type Query =
  | { kind: 'number'; value: number }
  | { kind: 'instant'; selector: Selector }
  | { kind: 'increase' | 'rate'; selector: Selector }
  | { kind: 'quantile'; q: number; selector: Selector }
  | { kind: 'divide'; left: Query; right: Query }

/** A value, or NaN with the reason there is no data. */
export interface QueryResult { value: number; noData?: string }

export class QueryError extends Error {}

// ---------------------------------------------------------------------------- parsing

export function parseQuery(source: string): Query {
  const p = new QueryParser(source)
  const query = p.expression()
  p.end()
  return query
}

class QueryParser {
  private i = 0
  constructor(private readonly s: string) {}

  private fail(message: string): never {
    throw new QueryError(`${message} at column ${this.i + 1} of ${JSON.stringify(this.s)}`)
  }
  private skip(): void {
    while (/\s/.test(this.s[this.i] ?? '')) this.i++
  }
  private eat(text: string): boolean {
    this.skip()
    if (!this.s.startsWith(text, this.i)) return false
    this.i += text.length
    return true
  }
  private expect(text: string): void {
    if (!this.eat(text)) this.fail(`expected "${text}"`)
  }
  end(): void {
    this.skip()
    if (this.i < this.s.length) this.fail(`unexpected "${this.s[this.i]}"`)
  }

  expression(): Query {
    const left = this.operand()
    if (!this.eat('/')) return left
    return { kind: 'divide', left, right: this.operand() }
  }

  private operand(): Query {
    this.skip()
    if (this.eat('(')) {
      const inner = this.expression()
      this.expect(')')
      return inner
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i))
    if (num) {
      this.i += num[0].length
      return { kind: 'number', value: Number(num[0]) }
    }
    const name = this.name()
    this.skip()
    if (this.s[this.i] !== '(') return { kind: 'instant', selector: this.selector(name) }
    this.i++
    if (name === 'increase' || name === 'rate') {
      const selector = this.selector(this.name())
      this.rejectRange()
      this.expect(')')
      return { kind: name, selector }
    }
    if (name === 'histogram_quantile') {
      this.skip()
      const q = /^(?:\d+\.?\d*|\.\d+)/.exec(this.s.slice(this.i))
      if (!q || Number(q[0]) < 0 || Number(q[0]) > 1) this.fail('histogram_quantile needs a quantile between 0 and 1 first')
      this.i += q[0].length
      this.expect(',')
      const selector = this.selector(this.name())
      if (!selector.name.endsWith('_bucket')) selector.name += '_bucket'
      this.rejectRange()
      this.expect(')')
      return { kind: 'quantile', q: Number(q[0]), selector }
    }
    return this.fail(`unsupported function "${name}" (supported: increase, rate, histogram_quantile)`)
  }

  private rejectRange(): void {
    this.skip()
    if (this.s[this.i] === '[') this.fail('no range selector needed: the window is the time between two scrapes, remove "[…]"')
  }

  private name(): string {
    this.skip()
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(this.s.slice(this.i))
    if (!m) this.fail('expected a metric name')
    this.i += m[0].length
    return m[0]
  }

  private selector(name: string): Selector {
    const matchers: Matcher[] = []
    if (!this.eat('{')) return { name, matchers }
    while (!this.eat('}')) {
      this.skip()
      const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(this.s.slice(this.i))?.[0]
      if (!label) this.fail('expected a label name')
      this.i += label.length
      this.skip()
      const op = (['=~', '!~', '!=', '='] as const).find((o) => this.s.startsWith(o, this.i))
      if (!op) this.fail('expected =, !=, =~ or !~')
      this.i += op.length
      const value = this.string()
      const matcher: Matcher = { label, op, value }
      if (op === '=~' || op === '!~') {
        try {
          matcher.regex = new RegExp(`^(?:${value})$`)
        } catch (error) {
          this.fail(`bad regex ${JSON.stringify(value)}: ${(error as Error).message}`)
        }
      }
      matchers.push(matcher)
      if (!this.eat(',')) {
        this.expect('}')
        break
      }
    }
    return { name, matchers }
  }

  private string(): string {
    this.skip()
    const quote = this.s[this.i]
    if (quote !== '"' && quote !== "'") this.fail('expected a quoted label value')
    let out = ''
    for (this.i++; ; this.i++) {
      const ch = this.s[this.i]
      if (ch === undefined) this.fail('unterminated string')
      if (ch === quote) break
      if (ch === '\\') {
        const next = this.s[++this.i]
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next
      } else out += ch
    }
    this.i++
    return out
  }
}

// ---------------------------------------------------------------------------- evaluation

/** True when the query compares two scrapes (so the first sample needs a baseline scrape). */
export function needsPrevious(query: Query): boolean {
  if (query.kind === 'divide') return needsPrevious(query.left) || needsPrevious(query.right)
  return query.kind === 'increase' || query.kind === 'rate' || query.kind === 'quantile'
}

export function formatSelector(s: Selector): string {
  const m = s.matchers.map((x) => `${x.label}${x.op}${JSON.stringify(x.value)}`).join(',')
  return m ? `${s.name}{${m}}` : s.name
}

function matches(sample: PromSample, selector: Selector): boolean {
  if (sample.name !== selector.name) return false
  return selector.matchers.every((m) => {
    const v = Object.hasOwn(sample.labels, m.label) ? sample.labels[m.label] : ''
    switch (m.op) {
      case '=': return v === m.value
      case '!=': return v !== m.value
      case '=~': return m.regex!.test(v)
      case '!~': return !m.regex!.test(v)
    }
  })
}

/** Series identity: name + sorted labels. */
function seriesKey(sample: PromSample, without?: string): string {
  const labels = Object.keys(sample.labels).filter((k) => k !== without).sort().map((k) => `${k}=${JSON.stringify(sample.labels[k])}`)
  return `${sample.name}{${labels.join(',')}}`
}

/**
 * Increase of each matching series between two scrapes, like PromQL: a value lower than before
 * means the counter was reset (server restart), so the whole current value is the increase. A
 * series absent from the previous scrape started at 0 (labelled counters appear on first use).
 */
function increases(selector: Selector, previous: PromScrape, current: PromScrape): PromSample[] {
  const before = new Map(previous.samples.filter((s) => matches(s, selector)).map((s) => [seriesKey(s), s.value]))
  return current.samples.filter((s) => matches(s, selector)).map((s) => {
    const prev = before.get(seriesKey(s)) ?? 0
    return { ...s, value: s.value >= prev ? s.value - prev : s.value }
  })
}

export interface EvalInput {
  current: PromScrape
  /** The previous scrape of the same endpoint (absent for the very first one). */
  previous?: PromScrape
  /** Seconds between the two scrapes. */
  elapsedSeconds?: number
}

export function evaluateQuery(query: Query, input: EvalInput): QueryResult {
  switch (query.kind) {
    case 'number':
      return { value: query.value }
    case 'instant': {
      const found = input.current.samples.filter((s) => matches(s, query.selector))
      if (!found.length) return noData(`no series matches ${formatSelector(query.selector)}`)
      return { value: found.reduce((sum, s) => sum + s.value, 0) }
    }
    case 'increase':
    case 'rate': {
      if (!input.previous) return noData('no previous scrape to compare with')
      const inc = increases(query.selector, input.previous, input.current)
      if (!inc.length) return noData(`no series matches ${formatSelector(query.selector)}`)
      const total = inc.reduce((sum, s) => sum + s.value, 0)
      if (query.kind === 'increase') return { value: total }
      const seconds = input.elapsedSeconds ?? 0
      return seconds > 0 ? { value: total / seconds } : noData('no time passed between scrapes')
    }
    case 'quantile': {
      if (!input.previous) return noData('no previous scrape to compare with')
      const inc = increases(query.selector, input.previous, input.current)
      if (!inc.length) return noData(`no series matches ${formatSelector(query.selector)}`)
      return histogramQuantile(query.q, inc)
    }
    case 'divide': {
      const left = evaluateQuery(query.left, input)
      if (left.noData) return left
      const right = evaluateQuery(query.right, input)
      if (right.noData) return right
      if (right.value === 0) return noData('the denominator is 0 (no requests between scrapes?)')
      return { value: left.value / right.value }
    }
  }
}

/**
 * PromQL's histogram_quantile over bucket increases: find the bucket holding rank q·total and
 * interpolate linearly inside it; the lowest bucket starts at 0; a rank in the +Inf bucket
 * returns the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: PromSample[]): QueryResult {
  const byLe = new Map<number, number>()
  for (const b of buckets) {
    const raw = Object.hasOwn(b.labels, 'le') ? b.labels.le : undefined
    const le = raw === '+Inf' ? Infinity : Number(raw)
    if (raw === undefined || raw === '' || Number.isNaN(le)) return noData(`bucket ${seriesKey(b)} has no valid "le" label`)
    byLe.set(le, (byLe.get(le) ?? 0) + b.value)
  }
  const sorted = [...byLe.entries()].sort((a, b) => a[0] - b[0])
  if (sorted.length < 2 || sorted[sorted.length - 1][0] !== Infinity) return noData('a histogram needs at least two buckets, the last one le="+Inf"')
  // Cumulative counts must not decrease; scrapes taken mid-update can violate that slightly.
  for (let i = 1; i < sorted.length; i++) if (sorted[i][1] < sorted[i - 1][1]) sorted[i][1] = sorted[i - 1][1]
  const total = sorted[sorted.length - 1][1]
  if (total === 0) return noData('no observations between scrapes')
  const rank = q * total
  let i = sorted.findIndex(([, count]) => count >= rank)
  if (i === sorted.length - 1) return { value: sorted[sorted.length - 2][0] }
  if (i < 0) i = sorted.length - 1
  const [upper, count] = sorted[i]
  const [lower, below] = i === 0 ? [0, 0] : sorted[i - 1]
  if (i === 0 && upper <= 0) return { value: upper }
  if (count === below) return { value: upper }
  return { value: lower + (upper - lower) * ((rank - below) / (count - below)) }
}

function noData(reason: string): QueryResult {
  return { value: Number.NaN, noData: reason }
}
