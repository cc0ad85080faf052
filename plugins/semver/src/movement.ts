import { num } from '@mlci/core'
import { percent } from './amount.js'

/**
 * How a metric moved, in words that cannot be misread: "rose"/"fell" for the number itself,
 * "better"/"worse" for what that means in the metric's direction (an rmse that rose is worse —
 * never "rmse dropped" for an increase).
 */
export function movement(base: number, candidate: number, higher: boolean): { text: string; better: boolean; worse: boolean } {
  const delta = candidate - base
  if (delta === 0) return { text: `unchanged at ${num(base)}`, better: false, worse: false }
  const verb = delta > 0 ? 'rose' : 'fell'
  const better = delta > 0 === higher
  const rel = base === 0 ? '' : `, ${delta > 0 ? '+' : '−'}${percent(Math.abs(delta) / Math.abs(base))}`
  return { text: `${verb} ${num(base)} → ${num(candidate)} (${delta > 0 ? '+' : '−'}${num(Math.abs(delta))}${rel}, ${better ? 'better' : 'worse'})`, better, worse: !better }
}
