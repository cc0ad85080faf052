/**
 * The value axis of a chart: a range that is never empty or infinite, and tick labels that are
 * distinct and short. ECharts picks the ticks inside the range; these functions make sure what it
 * is given is sane (a series one floating-point step apart once sent a hand-written tick loop
 * into an endless loop) and that two ticks never print the same text.
 */

export interface ValueRange {
  min: number
  max: number
  /** Tick step, when the range is chosen here (so min and max are multiples of it). */
  interval?: number
}

/** Finite values only: NaN and ±Infinity are gaps, not points. */
export function finiteValues(values: (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v))
}

/**
 * The power of ten (an exponent) to divide values by before ECharts sees them, so the axis span
 * and its fifth are ordinary doubles: ±1e308 spans 2e308 = Infinity, and subnormal values
 * (5e-324) have a span whose fifth is 0; ECharts asserts on both, and on spans below its
 * 20-decimal rounding. 0 for ordinary magnitudes;
 * labels say `…e<exponent>` and tooltips show the true values.
 */
export function valueExponent(values: number[]): number {
  const magnitude = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
  // ECharts rounds ticks to at most 20 decimals: keep magnitudes well inside that.
  if (magnitude < 1e15 && (magnitude === 0 || magnitude >= 1e-6)) return 0
  return Math.floor(Math.log10(magnitude))
}

/** `value / 10^exponent` without overflowing or underflowing the power itself (10^-324 is 0). */
export function unscale(value: number, exponent: number): number {
  const half = Math.trunc(-exponent / 2)
  return value * 10 ** half * 10 ** (-exponent - half)
}

/**
 * The range the axis shows. Undefined lets ECharts choose (ordinary data); a near-constant series
 * (spread below 1e-9 of its magnitude, e.g. values one ulp apart) gets ±5 % around its centre,
 * and a spread too wide for a double (±1e308) gets the data's own ends, so the tick step is finite.
 */
export function valueRange(values: number[]): ValueRange | undefined {
  if (!values.length) return { min: 0, max: 1 }
  let lo = Infinity
  let hi = -Infinity
  for (const v of values) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi))
  if (hi - lo <= magnitude * 1e-9) {
    const centre = lo / 2 + hi / 2
    const pad = Math.abs(centre) * 0.05 || 1
    const interval = niceStep((2 * pad) / 5)
    const round = (n: number) => Number(n.toPrecision(12))
    return { min: round(Math.floor((centre - pad) / interval) * interval), max: round(Math.ceil((centre + pad) / interval) * interval), interval }
  }
  if (!Number.isFinite(hi - lo) || !Number.isFinite((hi - lo) / 5)) return { min: lo, max: hi }
  return undefined
}

/**
 * A formatter for ticks spaced about `(max - min) / 5` apart: enough digits to tell neighbours
 * apart (0.97980, 0.97985 rather than 0.9798 twice), exponent notation for huge and tiny numbers.
 */
export function tickFormatter(values: number[], range: ValueRange | undefined): (value: number) => string {
  let lo = range?.min ?? Infinity
  let hi = range?.max ?? -Infinity
  if (!range) for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)]
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1]
  const step = Math.abs(hi / 10 - lo / 10) || 1
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi))
  if (magnitude >= 1e7 || (magnitude < 1e-4 && magnitude > 0) || !Number.isFinite(step * 10)) {
    // Significant digits needed to tell values `step` apart at this magnitude.
    const digits = clamp(Math.ceil(Math.log10(magnitude / step)) + 1, 2, 16)
    return (value) => (value === 0 ? '0' : value.toExponential(digits - 1).replace(/\.?0+e/, 'e'))
  }
  const decimals = clamp(Math.ceil(-Math.log10(step)) + 1, 0, 16)
  return (value) => stripZeros(value.toFixed(decimals))
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw * (1 - 1e-12)) ?? 10 * power
}

function stripZeros(text: string): string {
  const out = text.includes('.') ? text.replace(/\.?0+$/, '') : text
  return out === '-0' ? '0' : out
}

function clamp(n: number, lo: number, hi: number): number {
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : hi
}
