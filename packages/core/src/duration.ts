/** `250ms`, `5s`, `1.5m`, `1h`, or a number of milliseconds. Throws a message naming `what`. */
export function parseDuration(value: unknown, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${what} must be a non-negative number of milliseconds, got ${value}`)
    return value
  }
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value) : null
  if (!m) throw new Error(`${what} ${JSON.stringify(value)} is not a duration; write e.g. 500ms, 30s, 5m or 1h`)
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'])
}

/** `90000` → `1.5m`: how a limit is shown back to the user. */
export function formatLimit(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms >= 1000) return `${+(ms / 1000).toFixed(1)}s`
  return `${ms}ms`
}
