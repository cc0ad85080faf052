/**
 * JSON with sorted object keys, so equal values always give equal text (and equal hashes)
 * whatever order a plugin built its options in. Values JSON cannot hold are given a stable
 * spelling instead of being dropped silently: a function by its source, a bigint, a RegExp.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(normalize(value, new Set())) ?? 'undefined'
}

function normalize(value: unknown, seen: Set<object>): unknown {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'function') return `function:${value.toString()}`
  if (typeof value === 'symbol') return value.toString()
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof RegExp) return `regexp:${value.toString()}`
  if (value instanceof Date) return value.toISOString()
  if (seen.has(value)) return '[circular]'
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map((v) => normalize(v, seen) ?? null)
    if (value instanceof Map) return normalize(Object.fromEntries(value), seen)
    if (value instanceof Set) return [...value].map((v) => normalize(v, seen)).sort((a, b) => compareJson(a, b))
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = normalize((value as Record<string, unknown>)[key], seen)
      if (v !== undefined) out[key] = v
    }
    return out
  } finally {
    seen.delete(value)
  }
}

function compareJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a) ?? ''
  const y = JSON.stringify(b) ?? ''
  return x < y ? -1 : x > y ? 1 : 0
}
