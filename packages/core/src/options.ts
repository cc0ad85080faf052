import { ErrorCode, MlciError } from './errors.js'

/**
 * A tiny schema for validating plugin options and config before any phase runs, so a wrong
 * option fails with its key path and the expected type (exit 2), not halfway through a build.
 *
 * A spec is a type name ('string', 'number', 'integer', 'boolean', 'function', 'object', 'any',
 * 'string[]', 'number[]'), a list of allowed literal values (`{ oneOf: [...] }`), a nested shape
 * (`{ shape: {...} }`), a record (`{ record: spec }`), an array (`{ array: spec }`), a number
 * with bounds (`{ min: 1, integer: true }`: durations, counts) or a union (`[spec, spec]`). Every key is optional unless listed in `required`.
 */
export type Spec =
  | 'string' | 'number' | 'integer' | 'boolean' | 'function' | 'object' | 'any' | 'string[]' | 'number[]'
  | { oneOf: readonly unknown[] }
  | { shape: Shape; required?: readonly string[] }
  | { record: Spec }
  | { array: Spec }
  | { min: number; max?: number; integer?: boolean }
  | readonly Spec[]
export type Shape = Record<string, Spec>

function describe(spec: Spec): string {
  if (typeof spec === 'string') return spec === 'integer' ? 'an integer' : spec.endsWith('[]') ? `an array of ${spec.slice(0, -2)}s` : `a ${spec}`
  if (Array.isArray(spec)) return spec.map(describe).join(' or ')
  if ('oneOf' in spec) return `one of ${spec.oneOf.map((v) => JSON.stringify(v)).join(', ')}`
  if ('shape' in spec) return 'an object'
  if ('record' in spec) return `an object of ${describe(spec.record)}`
  if ('array' in spec) return `an array of ${describe(spec.array)}`
  if ('min' in spec) return `${spec.integer ? 'an integer' : 'a number'} ≥ ${spec.min}${spec.max !== undefined ? ` and ≤ ${spec.max}` : ''}`
  return 'a value'
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number') return `a number (${value})`
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `a ${typeof value}`
}

/** A problem found by a shape: where (key path below the validated value) and what. */
export interface OptionIssue {
  path: readonly (string | number)[]
  message: string
}

/** `root.a[0].b`: how a key path reads in messages. */
export function formatPath(root: string, path: readonly (string | number)[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key), root)
}

function matches(spec: Spec, value: unknown, path: (string | number)[], problems: OptionIssue[]): boolean {
  if (typeof spec === 'string') {
    switch (spec) {
      case 'any': return true
      case 'string': return typeof value === 'string'
      case 'number': return typeof value === 'number' && Number.isFinite(value)
      case 'integer': return Number.isInteger(value)
      case 'boolean': return typeof value === 'boolean'
      case 'function': return typeof value === 'function'
      case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value)
      case 'string[]': return Array.isArray(value) && value.every((v) => typeof v === 'string')
      case 'number[]': return Array.isArray(value) && value.every((v) => typeof v === 'number')
    }
  }
  if (Array.isArray(spec)) {
    // A union: the first member the value fits without problems; else the first whose type it
    // has (an object for a shape) with that member's nested problems, so `{ query }` without a
    // required `address` says so instead of passing or blaming the whole union.
    let fallback: OptionIssue[] | undefined
    for (const member of spec) {
      const nested: OptionIssue[] = []
      if (!matches(member, value, path, nested)) continue
      if (!nested.length) return true
      fallback ??= nested
    }
    if (!fallback) return false
    problems.push(...fallback)
    return true
  }
  const s = spec as Exclude<Spec, string | readonly Spec[]>
  if ('oneOf' in s) return s.oneOf.includes(value)
  if ('min' in s) {
    return typeof value === 'number' && Number.isFinite(value) && value >= s.min && (s.max === undefined || value <= s.max) && (!s.integer || Number.isInteger(value))
  }
  if ('array' in s) {
    if (!Array.isArray(value)) return false
    value.forEach((v, i) => check(s.array, v, [...path, i], problems))
    return true
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  if ('record' in s) {
    for (const [k, v] of Object.entries(value)) check(s.record, v, [...path, k], problems)
    return true
  }
  checkShape(s.shape, value as Record<string, unknown>, path, problems, s.required)
  return true
}

function check(spec: Spec, value: unknown, path: (string | number)[], problems: OptionIssue[]): void {
  if (!matches(spec, value, path, problems)) problems.push({ path, message: `must be ${describe(spec)}, got ${typeOf(value)}` })
}

function checkShape(shape: Shape, value: Record<string, unknown>, path: (string | number)[], problems: OptionIssue[], required: readonly string[] = []): void {
  for (const key of required) if (value[key] === undefined) problems.push({ path: [...path, key], message: `is required (${describe(shape[key])})` })
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue
    const spec = shape[key]
    if (!spec) {
      const known = Object.keys(shape)
      const guess = closest(key, known)
      problems.push({ path: [...path, key], message: `is not a known option (${guess ? `did you mean "${guess}"? ` : ''}known: ${known.join(', ')})` })
      continue
    }
    check(spec, v, [...path, key], problems)
  }
}

/** The known key a typo most likely meant: edit distance ≤ a third of its length (at least 1), or a case-only difference. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : distance(key, candidate)
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined
}

/** Levenshtein distance with adjacent transpositions counting once (optimal string alignment). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** Every problem of `value` against `shape`, key paths relative to the value (none = valid). */
export function shapeIssues(value: unknown, shape: Shape, required: readonly string[] = []): OptionIssue[] {
  const problems: OptionIssue[] = []
  if (value === undefined) value = {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ path: [], message: `must be an object, got ${typeOf(value)}` })
  } else {
    checkShape(shape, value as Record<string, unknown>, [], problems, required)
  }
  return problems
}

/**
 * The last shape validateOptions was given in this process, per owner (plugin name, or `config`):
 * docs/options.md is generated from these (scripts/options-doc.mjs), so the reference documents
 * exactly what is validated and cannot drift from it.
 */
const validated = new Map<string, { shape: Shape; required: readonly string[] }>()
export function validatedShapes(): ReadonlyMap<string, { shape: Shape; required: readonly string[] }> {
  return validated
}

/** The type a spec accepts, in words ("an array of strings"): for errors and the options reference. */
export function describeSpec(spec: Spec): string {
  return describe(spec)
}

/** Validate `value` against `shape`; throws one error listing every problem with its key path. */
export function validateOptions<T>(owner: string, value: unknown, shape: Shape, options: { required?: readonly string[]; root?: string; code?: string } = {}): T {
  const root = options.root ?? owner
  validated.set(root, { shape, required: options.required ?? [] })
  const problems = shapeIssues(value, shape, options.required).map((p) => `${formatPath(root, p.path)} ${p.message}`)
  if (problems.length) {
    throw new MlciError(options.code ?? ErrorCode.PLUGIN_OPTIONS,
      problems.length === 1 ? `Invalid option: ${problems[0]}.` : `Invalid options for ${owner}:\n  - ${problems.join('\n  - ')}`,
      { hint: `Fix the ${owner} options in your mlci config.`, plugin: owner })
  }
  if (value === undefined) return {} as T
  return value as T
}
