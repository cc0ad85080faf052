import { ErrorCode, MlciError, num, type ModelVersion, type Registry } from '@mlci/core'

/** A version or alias, or a clear error naming what exists. */
export async function resolveRef(registry: Registry, ref: string | undefined, usage: string): Promise<ModelVersion> {
  if (!ref) throw new MlciError(ErrorCode.USAGE, 'Missing a version or alias.', { hint: `Usage: ${usage}` })
  const found = await registry.resolve(ref)
  if (found) return found
  const [versions, aliases] = await Promise.all([registry.list(), registry.aliases()])
  const known = [...Object.keys(aliases), ...versions.slice(-5).map((v) => v.version)]
  throw new MlciError(ErrorCode.NOT_FOUND, `No model version or alias "${ref}".`, {
    hint: known.length ? `Known: ${known.join(', ')}. See \`mlci versions\`.` : 'No versions are recorded yet: run `mlci build`.',
  })
}

/** Aliases per version key, e.g. { '0.2.0': ['live'], '0.1.0': ['previous'] }. */
export function aliasesByVersion(aliases: Record<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [alias, version] of Object.entries(aliases)) {
    const key = version.split('+')[0]
    out.set(key, [...(out.get(key) ?? []), alias])
  }
  return out
}

/** Left-aligned columns separated by two spaces. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function show(value: unknown): string {
  if (value === undefined) return '—'
  if (typeof value === 'number') return num(value)
  if (typeof value === 'string') return value
  return JSON.stringify(value)
}

export function signed(delta: number | undefined): string {
  if (delta === undefined) return ''
  if (delta === 0) return '0'
  return `${delta > 0 ? '+' : '-'}${num(Math.abs(delta))}`
}

/** `2026-11-29 10:22:01Z`: sortable, unambiguous, short. */
export function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

const PREFERRED = ['accuracy', 'f1_macro', 'f1', 'auc', 'precision', 'recall', 'loss']

/** The few metrics worth a column: the gated ones (recorded by the versioner), else well-known names first. */
export function mainMetrics(versions: ModelVersion[], max = 4): string[] {
  const gated = [...new Set(versions.flatMap((v) => (v.extra?.semver as { gated?: string[] } | undefined)?.gated ?? []))]
  if (gated.length) return gated.slice(0, max)
  const names = [...new Set(versions.flatMap((v) => Object.keys(v.metrics ?? {})))]
  const rank = (n: string) => (PREFERRED.includes(n) ? PREFERRED.indexOf(n) : PREFERRED.length)
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, Math.min(max, 3))
}
