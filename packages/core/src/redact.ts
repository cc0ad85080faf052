/**
 * Secret redaction for everything mlci prints or writes (terminal, run records, logs, reports).
 * Secrets are the values of env vars whose names look secret plus an explicit list from config.
 * Each secret is also matched in its URL-encoded and base64 forms. Streams are redacted per line
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

/**
 * A pattern matching the secret as is and in any URL-encoded form: each character either
 * literal or percent-encoded (either hex case), a space also as `+` (form encoding).
 */
function urlTolerantPattern(secret: string): string {
  return [...secret].map((ch) => {
    const encoded = [...Buffer.from(ch, 'utf8')].map((b) => `%${hexPattern(b)}`).join('')
    const options = [escapeRegExp(ch), encoded]
    if (ch === ' ') options.push('\\+')
    return `(?:${options.join('|')})`
  }).join('')
}

export class Redactor {
  private pattern: RegExp | undefined
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
    const alternatives = sorted.flatMap((s) => [urlTolerantPattern(s), escapeRegExp(Buffer.from(s).toString('base64'))])
    this.pattern = alternatives.length ? new RegExp(alternatives.join('|'), 'g') : undefined
  }

  get size(): number {
    return this.secrets.size
  }

  redact(text: string): string {
    if (!this.pattern || !text) return text
    return text.replace(this.pattern, MASK)
  }

  /** Redact every string inside a JSON-like value (run records, reports). */
  redactDeep<T>(value: T): T {
    if (!this.pattern) return value
    return JSON.parse(this.redact(JSON.stringify(value))) as T
  }
}
