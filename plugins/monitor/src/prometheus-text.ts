/**
 * Parser for the Prometheus text exposition format (0.0.4), what every `/metrics` endpoint serves:
 *
 *   # HELP model_requests_total HTTP requests.
 *   # TYPE model_requests_total counter
 *   model_requests_total{endpoint="/predict",code="200"} 1027 1395066363000
 *
 * Like Prometheus itself, a malformed line rejects the whole scrape (with its line number):
 * half a scrape would silently turn into wrong ratios.
 */

export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
  timestampMs?: number
}

export interface PromScrape {
  samples: PromSample[]
  /** `# TYPE` per metric family name. */
  types: Record<string, string>
  help: Record<string, string>
}

export class PromParseError extends Error {}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/

export function parsePrometheusText(text: string): PromScrape {
  // Null-prototype maps: a label or metric called `__proto__`/`constructor` is just a name.
  const scrape: PromScrape = { samples: [], types: Object.create(null), help: Object.create(null) }
  const lines = text.split('\n')
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '').trim()
    if (!line) continue
    try {
      if (line.startsWith('#')) parseComment(line, scrape)
      else scrape.samples.push(parseSample(line))
    } catch (error) {
      if (error instanceof PromParseError) throw new PromParseError(`line ${n + 1}: ${error.message} in ${JSON.stringify(line.slice(0, 120))}`)
      throw error
    }
  }
  return scrape
}

function parseComment(line: string, scrape: PromScrape): void {
  const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line)
  if (!m) return // any other comment is ignored
  const [, kind, name, rest = ''] = m
  if (kind === 'TYPE') {
    const type = rest.trim()
    if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) throw new PromParseError(`unknown metric type "${type}"`)
    scrape.types[name] = type
  } else {
    scrape.help[name] = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'))
  }
}

function parseSample(line: string): PromSample {
  const name = METRIC_NAME.exec(line)?.[0]
  if (!name) throw new PromParseError('expected a metric name')
  let i = name.length
  const labels: Record<string, string> = Object.create(null)
  i = skipSpaces(line, i)
  if (line[i] === '{') i = parseLabels(line, i + 1, labels)
  const rest = line.slice(i).trim().split(/\s+/)
  if (rest.length < 1 || rest.length > 2 || !rest[0]) throw new PromParseError('expected a value (and an optional timestamp)')
  const value = parseValue(rest[0])
  const sample: PromSample = { name, labels, value }
  if (rest[1] !== undefined) {
    if (!/^-?\d+$/.test(rest[1])) throw new PromParseError(`bad timestamp "${rest[1]}"`)
    sample.timestampMs = Number(rest[1])
  }
  return sample
}

/** Parses `name="value",…}` starting after `{`; returns the index after `}`. */
function parseLabels(line: string, start: number, labels: Record<string, string>): number {
  let i = skipSpaces(line, start)
  while (line[i] !== '}') {
    const label = LABEL_NAME.exec(line.slice(i))?.[0]
    if (!label) throw new PromParseError(`expected a label name at column ${i + 1}`)
    i = skipSpaces(line, i + label.length)
    if (line[i] !== '=') throw new PromParseError(`expected "=" after label ${label}`)
    i = skipSpaces(line, i + 1)
    if (line[i] !== '"') throw new PromParseError(`expected a quoted value for label ${label}`)
    let value = ''
    for (i++; ; i++) {
      const ch = line[i]
      if (ch === undefined) throw new PromParseError(`unterminated value of label ${label}`)
      if (ch === '"') break
      if (ch === '\\') {
        const next = line[++i]
        if (next === 'n') value += '\n'
        else if (next === '\\' || next === '"') value += next
        else throw new PromParseError(`bad escape "\\${next ?? ''}" in label ${label}`)
      } else value += ch
    }
    if (Object.hasOwn(labels, label)) throw new PromParseError(`duplicate label ${label}`)
    labels[label] = value
    i = skipSpaces(line, i + 1)
    if (line[i] === ',') i = skipSpaces(line, i + 1)
    else if (line[i] !== '}') throw new PromParseError(`expected "," or "}" after label ${label}`)
  }
  return i + 1
}

function parseValue(text: string): number {
  const lower = text.toLowerCase()
  if (lower === 'nan') return Number.NaN
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY
  if (lower === '-inf') return Number.NEGATIVE_INFINITY
  // Number('') is 0 and Number('0x10') is 16: only accept what Go's ParseFloat would.
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) throw new PromParseError(`bad value "${text}"`)
  return Number(text)
}

function skipSpaces(line: string, i: number): number {
  while (line[i] === ' ' || line[i] === '\t') i++
  return i
}
