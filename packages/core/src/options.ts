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

function matches(spec: Spec, value: unknown, path: string, problems: string[]): boolean {
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
    let fallback: string[] | undefined
    for (const member of spec) {
      const nested: string[] = []
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
    value.forEach((v, i) => check(s.array, v, `${path}[${i}]`, problems))
    return true
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  if ('record' in s) {
    for (const [k, v] of Object.entries(value)) check(s.record, v, `${path}.${k}`, problems)
    return true
  }
  checkShape(s.shape, value as Record<string, unknown>, path, problems, s.required)
  return true
}

function check(spec: Spec, value: unknown, path: string, problems: string[]): void {
  if (!matches(spec, value, path, problems)) problems.push(`${path} must be ${describe(spec)}, got ${typeOf(value)}`)
}

function checkShape(shape: Shape, value: Record<string, unknown>, path: string, problems: string[], required: readonly string[] = []): void {
  for (const key of required) if (value[key] === undefined) problems.push(`${path}.${key} is required (${describe(shape[key])})`)
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue
    const spec = shape[key]
    if (!spec) {
      const known = Object.keys(shape)
      problems.push(`${path}.${key} is not a known option (known: ${known.join(', ')})`)
      continue
    }
    check(spec, v, `${path}.${key}`, problems)
  }
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
  const problems: string[] = []
  if (value === undefined) value = {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${root} must be an object, got ${typeOf(value)}`)
  } else {
    checkShape(shape, value as Record<string, unknown>, root, problems, options.required)
  }
  if (problems.length) {
    throw new MlciError(options.code ?? ErrorCode.PLUGIN_OPTIONS,
      problems.length === 1 ? `Invalid option: ${problems[0]}.` : `Invalid options for ${owner}:\n  - ${problems.join('\n  - ')}`,
      { hint: `Fix the ${owner} options in your mlci config.`, plugin: owner })
  }
  return value as T
}
