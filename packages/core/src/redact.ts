/**
 * Secret redaction for everything mlci prints or writes (terminal, run records, logs, reports).
 * Secrets are the values of env vars whose names look secret plus an explicit list from config.
 * Each secret is also matched in its URL-encoded, `\uXXXX`-escaped, hex and base64 forms, and in
 * any letter case (an HTML report lower-cases names into element ids). Streams are redacted per line
 * (exec buffers partial lines), so a secret split across output chunks is still caught.
 */
export const SECRET_NAME = /(token|passw(or)?d|pwd|secret|key|auth|credential|private|cookie|session|webhook|dsn)/i
const MIN_SECRET_LENGTH = 6
export const MASK = '[redacted]'

// Names that match SECRET_NAME but hold paths every message contains (`pwd` is meant for DB_PWD).
const NOT_SECRET = new Set(['PWD', 'OLDPWD'])

export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = []
  for (const [name, value] of Object.entries(env)) {
    if (value && SECRET_NAME.test(name) && !NOT_SECRET.has(name)) out.push(value)
    // A password inside a URL (MLCI_REGISTRY_URL=postgres://user:pass@host/db, DATABASE_URL) is a secret whatever the name.
    else if (value && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(value)) {
      try {
        const password = decodeURIComponent(new URL(value).password)
        if (password) out.push(password)
      } catch {
        // not a URL after all
      }
    }
  }
  return out
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Hex digits of a byte, letters matched in either case: 2f → 2[fF]. */
function hexPattern(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0').replace(/[A-F]/g, (d) => `[${d}${d.toLowerCase()}]`)
}

/** `\u0041` for A (either hex case); characters outside the BMP as their two surrogates. */
function unicodeEscapePattern(ch: string): string {
  return [...Array(ch.length).keys()].map((i) => {
    const code = ch.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')
    return `\\\\u${code.replace(/[A-F]/g, (d) => `[${d}${d.toLowerCase()}]`)}`
  }).join('')
}

/**
 * A pattern matching the secret as is and with any of its characters percent-encoded (either
 * hex case) or `\u`-escaped (JSON, JavaScript, Python reprs), a space also as `+`.
 */
function encodingTolerantPattern(secret: string): string {
  return [...secret].map((ch) => {
    const encoded = [...Buffer.from(ch, 'utf8')].map((b) => `%${hexPattern(b)}`).join('')
    const options = [escapeRegExp(ch), encoded, unicodeEscapePattern(ch)]
    if (ch === ' ') options.push('\\+')
    return `(?:${options.join('|')})`
  }).join('')
}

export class Redactor {
  private pattern: RegExp | undefined
  private base64: RegExp | undefined
  private readonly secrets = new Set<string>()

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets)
  }

  add(secrets: Iterable<string>): void {
    for (const secret of secrets) {
      if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue
      this.secrets.add(secret)
    }
    // Longest first so a secret that contains another is masked whole.
    const sorted = [...this.secrets].sort((a, b) => b.length - a.length)
    // base64 is case-sensitive; it and its (case-insensitive) hex form get their own regexes.
    const alternatives = sorted.flatMap((s) => [encodingTolerantPattern(s), Buffer.from(s).toString('hex')])
    this.pattern = alternatives.length ? new RegExp(alternatives.join('|'), 'gi') : undefined
    const base64 = sorted.map((s) => escapeRegExp(Buffer.from(s).toString('base64')))
    this.base64 = base64.length ? new RegExp(base64.join('|'), 'g') : undefined
  }

  get size(): number {
    return this.secrets.size
  }

  redact(text: string): string {
    if (!this.pattern || !text) return text
    return text.replace(this.pattern, MASK).replace(this.base64!, MASK)
  }

  /** Redact every string inside a JSON-like value (run records, reports). */
  redactDeep<T>(value: T): T {
    if (!this.pattern || value === undefined) return value
    // Each string on its own (keys too): redacting the JSON text could cut an escape in half.
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v)
      if (Array.isArray(v)) return v.map(walk)
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.redact(k), walk(x)]))
      return v
    }
    return walk(JSON.parse(JSON.stringify(value))) as T
  }
}
