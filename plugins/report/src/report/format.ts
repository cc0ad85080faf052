/** Number and duration formatting shared by every report format (and alerts). */

/** Four significant digits for fractions, whole numbers as they are. */
export function formatNumber(value: number | null | undefined): string {
  if (value === undefined || value === null) return '—'
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  if (Math.abs(value) >= 1000) return value.toFixed(0)
  return String(Number(value.toPrecision(4)))
}

/** `+0.012 (+1.3%)`; the relative part only when the reference is non-zero. */
export function formatDelta(delta: number | undefined, reference?: number): string {
  if (delta === undefined || !Number.isFinite(delta)) return '—'
  if (delta === 0) return '0'
  const sign = delta > 0 ? '+' : '−'
  const abs = formatNumber(Math.abs(delta))
  const percent = reference ? Math.abs((delta / reference) * 100) : undefined
  const relative = percent === undefined ? '' : ` (${sign}${percent >= 10 ? percent.toFixed(0) : percent.toFixed(1)}%)`
  return `${sign}${abs}${relative}`
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`
}

/** `2026-11-29 14:03:07 UTC`: readable, unambiguous, stable across the runner's locale. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** First line of a message, cut to `max` characters: table cells stay one line. */
export function oneLine(text: string | undefined, max = 160): string {
  if (!text) return ''
  const line = text.split('\n').find((l) => l.trim()) ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
