/**
 * An improvement or worsening threshold: a number is absolute (in the metric's own units), a
 * string like `'2%'` is relative to the value compared with. Relative thresholds suit metrics
 * whose scale depends on the data (an rmse of 2000 on house prices): 0.01 absolute would make
 * every tiny rmse gain a minor bump.
 */
export type Amount = number | `${number}%`

export interface ParsedAmount {
  value: number
  relative: boolean
}

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/

/** The parsed amount, or undefined when it is neither a finite number ≥ 0 nor a percentage like '2%'. */
export function parseAmount(amount: unknown): ParsedAmount | undefined {
  if (typeof amount === 'number') return Number.isFinite(amount) && amount >= 0 ? { value: amount, relative: false } : undefined
  if (typeof amount !== 'string') return undefined
  const m = PERCENT.exec(amount)
  return m ? { value: Number(m[1]) / 100, relative: true } : undefined
}

/** The problem with an amount option at `path`, if any, saying what is accepted. */
export function amountProblem(path: string, amount: unknown): string | undefined {
  if (amount === undefined || parseAmount(amount)) return undefined
  return `${path} must be a number ≥ 0 (absolute, in the metric's units) or a percentage string like '2%' (relative), got ${JSON.stringify(amount)}`
}

/**
 * How much better `candidate` is than `base` in the metric's direction, in the amount's terms:
 * absolute units, or a fraction of |base| (a base of 0 gives ±Infinity for any change).
 */
export function betterBy(base: number, candidate: number, higher: boolean, relative: boolean): number {
  const gain = higher ? candidate - base : base - candidate
  if (!relative) return gain
  if (gain === 0) return 0
  return base === 0 ? Math.sign(gain) * Infinity : gain / Math.abs(base)
}

/** An amount for people: `0.02` or `2 %`. */
export function formatAmount(amount: ParsedAmount, num: (n: number) => string): string {
  return amount.relative ? `${percent(amount.value)}` : num(amount.value)
}

/** A fraction as a percentage with at most 3 significant digits after rounding: 0.0064 → "0.64 %". */
export function percent(fraction: number): string {
  if (!Number.isFinite(fraction)) return fraction > 0 ? '∞ %' : '−∞ %'
  return `${Number((fraction * 100).toPrecision(3))} %`
}
