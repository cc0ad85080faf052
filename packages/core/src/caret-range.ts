const PLAIN = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/
const CARET = /^\^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/

/**
 * Whether a plain `X.Y.Z` version satisfies a plain caret range `^A.B.C` (what plugins declare
 * for `core`), as semver.satisfies would; undefined for any other shape, which semver decides.
 * Loading semver costs a start ~40 M instructions (~8 % of a fully cached build) for this one check.
 */
export function satisfiesCaret(version: string, range: string): boolean | undefined {
  const v = PLAIN.exec(version)
  const r = CARET.exec(range.trim())
  if (!v || !r) return undefined
  const [a, b, c] = v.slice(1).map(Number)
  const [x, y, z] = r.slice(1).map(Number)
  const atLeast = a !== x ? a > x : b !== y ? b > y : c >= z
  if (!atLeast) return false
  // The first non-zero part of the range may not change: ^1.2.3 < 2.0.0, ^0.2.3 < 0.3.0, ^0.0.3 = 0.0.3.
  if (x > 0) return a === x
  if (y > 0) return a === 0 && b === y
  return a === 0 && b === 0 && c === z
}
