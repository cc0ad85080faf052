/**
 * Secret redaction for everything mlci prints or writes (terminal, run records, logs, reports).
 * Secrets are the values of env vars whose names look secret plus an explicit list from config.
 * Each secret is also matched in its URL-encoded and base64 forms. Streams are redacted per line
 * (exec buffers partial lines), so a secret split across output chunks is still caught.
 */
export const SECRET_NAME = /(token|passw(or)?d|pwd|secret|key|auth|credential|private|cookie|session|webhook|dsn)/i
const MIN_SECRET_LENGTH = 6
export const MASK = '[redacted]'

export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = []
  for (const [name, value] of Object.entries(env)) {
    if (value && SECRET_NAME.test(name)) out.push(value)
  }
  return out
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
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
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
        this.secrets.add(form)
      }
    }
    // Longest first so a secret that contains another is masked whole.
    const sorted = [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp)
    this.pattern = sorted.length ? new RegExp(sorted.join('|'), 'g') : undefined
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
