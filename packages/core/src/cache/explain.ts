import type { FingerprintParts } from './fingerprint.js'

/** How many files of each kind (changed/added/removed) are named before summing up the rest. */
const MAX_NAMED_FILES = 10

function keyDiff(before: Record<string, string>, after: Record<string, string>) {
  const added: string[] = []
  const removed: string[] = []
  const changed: string[] = []
  for (const key of Object.keys(after)) {
    if (!(key in before)) added.push(key)
    else if (before[key] !== after[key]) changed.push(key)
  }
  for (const key of Object.keys(before)) if (!(key in after)) removed.push(key)
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() }
}

function named(kind: string, paths: string[]): string[] {
  const shown = paths.slice(0, MAX_NAMED_FILES).map((p) => `${kind}: ${p}`)
  if (paths.length > MAX_NAMED_FILES) shown.push(`… and ${paths.length - MAX_NAMED_FILES} more ${kind}`)
  return shown
}

/**
 * Why `current` differs from the parts of the phase's last cached run, as short lines:
 * "changed: data/train.csv", "params changed (trainer)", "env MLCI_SEED changed",
 * "plugin trainer 0.1.0 → 0.2.0", "upstream train changed". Env values are never shown.
 */
export function explainChange(previous: FingerprintParts | undefined, current: FingerprintParts): string[] {
  if (!previous) return ['no previous run']
  const reasons: string[] = []
  if (previous.core !== current.core) reasons.push(`mlci core ${previous.core} → ${current.core}`)
  const plugins = keyDiff(previous.plugins ?? {}, current.plugins)
  for (const p of plugins.changed) reasons.push(`plugin ${p} ${previous.plugins[p] || '?'} → ${current.plugins[p] || '?'}`)
  for (const p of plugins.added) reasons.push(`plugin ${p} added`)
  for (const p of plugins.removed) reasons.push(`plugin ${p} removed`)
  const params = keyDiff(previous.params ?? {}, current.params)
  for (const p of [...params.changed, ...params.added.filter((a) => !plugins.added.includes(a))]) reasons.push(`params changed (${p})`)
  const decl = keyDiff(previous.declarations ?? {}, current.declarations)
  for (const p of decl.changed) reasons.push(`declared inputs/outputs changed (${p})`)
  const env = keyDiff(previous.env ?? {}, current.env)
  for (const name of [...env.changed, ...env.added, ...env.removed].sort()) reasons.push(`env ${name} changed`)
  const up = keyDiff(previous.upstream ?? {}, current.upstream)
  for (const p of [...up.changed, ...up.added, ...up.removed].sort()) reasons.push(`upstream ${p} changed`)
  const files = keyDiff(previous.files ?? {}, current.files)
  reasons.push(...named('changed', files.changed), ...named('added', files.added), ...named('removed', files.removed))
  return reasons.length ? reasons : ['fingerprint changed']
}
