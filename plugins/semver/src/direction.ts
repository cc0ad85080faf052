/**
 * Which way a metric is better. Declared per gated metric (`direction`), else known from a word
 * in its name (`val_rmse`, `f1_macro`, `latency_p95_ms`). A name that says neither — or both —
 * has no default: guessing "higher" for an unknown name let a worse model through as a minor
 * bump, so such a gate is a config error until the user says which way is better.
 */
export type Direction = 'higher' | 'lower'

/** Words that name an error, a cost or a time: a smaller value is a better model. */
const LOWER = new Set(['loss', 'error', 'errors', 'err', 'mse', 'rmse', 'mae', 'mape', 'smape', 'msle', 'rmsle', 'medae', 'latency', 'duration', 'perplexity', 'ppl', 'wer', 'cer', 'ms', 's', 'seconds', 'time', 'logloss', 'brier'])
/** Words that name a score: a larger value is a better model. */
const HIGHER = new Set(['accuracy', 'acc', 'f1', 'f1score', 'auc', 'roc', 'r2', 'precision', 'recall', 'ndcg', 'map', 'bleu', 'rouge', 'iou', 'dice', 'kappa', 'throughput', 'qps', 'rps'])

/** The direction a metric's name implies, or undefined when the name does not tell (or contradicts itself). */
export function directionFromName(metric: string): Direction | undefined {
  const words = metric.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
  const lower = words.some((w) => LOWER.has(w))
  const higher = words.some((w) => HIGHER.has(w))
  if (lower === higher) return undefined
  return lower ? 'lower' : 'higher'
}

/** The declared direction (`direction`, or the older `higherIsBetter`), else the name's; undefined when neither tells. */
export function directionOf(metric: string, rule?: { direction?: Direction; higherIsBetter?: boolean }): Direction | undefined {
  if (rule?.direction) return rule.direction
  if (rule?.higherIsBetter !== undefined) return rule.higherIsBetter ? 'higher' : 'lower'
  return directionFromName(metric)
}

/** How to fix a metric whose direction is unknown, for the config error: a likely misspelling first. */
export function directionHint(path: string, metric: string): string {
  const guess = spellingGuess(metric)
  const meant = guess ? `did you mean "${guess}"? If not, ` : ''
  return `${path}: mlci cannot tell from the name "${metric}" whether a higher or a lower value is better; ${meant}add direction: 'lower' (errors, losses, times) or direction: 'higher' (scores) to gate.${metric}`
}

/** The name with one word replaced by a known word at most two edits away (`acuracy` → `accuracy`), if any. */
function spellingGuess(metric: string): string | undefined {
  const parts = metric.split(/([^A-Za-z0-9]+)/)
  for (let i = 0; i < parts.length; i++) {
    const word = parts[i].toLowerCase()
    if (word.length < 4) continue
    // Nearest first; among equals, the one closest in length (rsme → rmse, not mse).
    const known = [...LOWER, ...HIGHER]
      .map((k) => ({ k, d: editDistance(word, k), l: Math.abs(k.length - word.length) }))
      .filter((c) => c.k.length >= 3 && c.d <= 2)
      .sort((x, y) => x.d - y.d || x.l - y.l)[0]?.k
    if (known) return [...parts.slice(0, i), known, ...parts.slice(i + 1)].join('')
  }
  return undefined
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]
}
