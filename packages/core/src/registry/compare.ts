import type { ModelVersion } from './types.js'

/** One compared value of two versions. */
export interface DiffRow {
  name: string
  a?: unknown
  b?: unknown
  /** b − a, for numbers. */
  delta?: number
  changed: boolean
}

export interface VersionDiff {
  a: string
  b: string
  metrics: DiffRow[]
  /** Params, then the signature (`signature.inputs`, `signature.outputs`) and artifacts by path. */
  params: DiffRow[]
}

/**
 * Metrics and params of two versions side by side with deltas (what `mlci diff` and PR reports
 * show). Rows are the union of both sides; a value only one side has is a change.
 */
export function diffVersions(a: ModelVersion, b: ModelVersion): VersionDiff {
  const metrics = union(a.metrics, b.metrics).map((name) => {
    const x = a.metrics?.[name]
    const y = b.metrics?.[name]
    const delta = typeof x === 'number' && typeof y === 'number' ? round(y - x) : undefined
    return { name, a: x, b: y, delta, changed: x !== y }
  })
  const params = union(a.params, b.params).map((name) => row(name, a.params?.[name], b.params?.[name]))
  if (a.signature || b.signature) {
    const inputs = (v: ModelVersion) => v.signature?.inputs?.map((i) => `${i.name}:${i.type}`).join(', ')
    params.push(row('signature.inputs', inputs(a), inputs(b)))
    params.push(row('signature.outputs', a.signature?.outputs, b.signature?.outputs))
  }
  // The training data by content: a params-only change leaves this row unchanged.
  if (a.dataset || b.dataset) params.push(row('data', a.dataset?.digest.slice(0, 19), b.dataset?.digest.slice(0, 19)))
  const artifacts = (v: ModelVersion) => Object.fromEntries((v.artifacts ?? []).map((x) => [x.path, x.digest.slice(0, 19)]))
  const [aa, ba] = [artifacts(a), artifacts(b)]
  for (const path of union(aa, ba)) params.push(row(`artifact ${path}`, aa[path], ba[path]))
  return { a: a.version, b: b.version, metrics, params }
}

function row(name: string, a: unknown, b: unknown): DiffRow {
  const delta = typeof a === 'number' && typeof b === 'number' ? round(b - a) : undefined
  return { name, a, b, delta, changed: JSON.stringify(a) !== JSON.stringify(b) }
}

function union(a: object | undefined, b: object | undefined): string[] {
  return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort()
}

/** Deltas without float noise (0.9666 − 0.96 = 0.006666…, not 0.0066666666666667). */
function round(value: number): number {
  return Number(value.toPrecision(10))
}
