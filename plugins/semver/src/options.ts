import { ErrorCode, MlciError, validateOptions, type ArtifactRef, type ModelSignature, type ModelVersion, type Shape, type Spec } from '@mlci/core'
import semver from 'semver'
import { amountProblem, type Amount } from './amount.js'
import { directionHint, directionOf, type Direction } from './direction.js'

export type { Amount } from './amount.js'
export type { Direction } from './direction.js'

export type BumpKind = 'major' | 'minor' | 'patch'

/** A gate on one metric. Absolute bounds always apply; relative ones compare with the live version's recorded value. */
export interface MetricRule {
  /** The candidate must reach at least this. */
  min?: number
  /** The candidate must stay at or below this. */
  max?: number
  /** The candidate may be worse than live by at most this much: a number in the metric's units, or a percentage of the live value like '5%'. */
  maxDrop?: Amount
  /** The candidate must be better than live by at least this much: a number in the metric's units, or a percentage of the live value like '1%'. */
  minImprovement?: Amount
  /**
   * Which way is better: 'lower' or 'higher'. Default from a word in the name: 'lower' for
   * rmse/mae/mape/mse/loss/error/latency/duration/perplexity or a _ms/_s suffix, 'higher' for
   * accuracy/acc/f1/auc/r2/precision/recall/ndcg/map/bleu/rouge/iou; any other name needs it (config error otherwise).
   */
  direction?: Direction
  /** The older spelling of `direction` (true = 'higher'); use `direction`. */
  higherIsBetter?: boolean
}

export interface MetricChange {
  metric: string
  previous: number
  candidate: number
  /** Positive = better, in the metric's direction, in its own units. */
  improvement: number
  /** The improvement as a fraction of |previous| (±Infinity when previous is 0). */
  relativeImprovement: number
  direction: Direction
}

/** What a custom `bump` function is told. */
export interface BumpInfo {
  /** The latest ready (non-prerelease) version the bump starts from; undefined for the first version. */
  previous?: ModelVersion
  candidate: { metrics: Record<string, number>; params?: Record<string, unknown>; signature?: ModelSignature; artifacts: ArtifactRef[] }
  signatureChanged: boolean
  /** Changes of the metrics `minorOn` looks at, compared with `previous`. */
  changes: MetricChange[]
  /** What the default policy would choose, and why. */
  suggested: BumpKind
  reason: string
}

export interface SemverOptions {
  /** The first version (default 0.1.0). */
  first?: string
  /** Metric gates, e.g. `{ accuracy: { min: 0.9, maxDrop: 0.01 }, latency_p95_ms: { max: 50 } }`. */
  gate?: Record<string, MetricRule>
  /** The alias whose recorded metrics relative gates compare with (default `live`). */
  against?: string
  /**
   * How much a metric must improve for a minor bump: a percentage of the previous value like
   * '1%' (relative) or a number in the metric's units (absolute); one amount for every gated
   * metric, or per metric. Default '1%' on every gated metric.
   */
  minorOn?: Amount | Record<string, Amount>
  /** Decide the bump yourself; return undefined to keep the suggested one. */
  bump?: (info: BumpInfo) => BumpKind | undefined | Promise<BumpKind | undefined>
  /** Append `+data.<7 hex of the training data's content digest>` when the trainer declared data (default true). */
  buildMetadata?: boolean
  /** Create an annotated tag `model-vX.Y.Z` on the model's commit once the version is ready (default false; never pushed). */
  gitTag?: boolean
  /** Prefix of the git tag's name (default `model-v`, giving `model-v1.2.0`). */
  tagPrefix?: string
  /** Without a deployer, point `live` at each new ready version — or, for `--channel rc`, the `rc` alias (default true). */
  promote?: boolean
}

const AMOUNT: Spec = ['number', 'string']
const RULE: Shape = { min: 'number', max: 'number', maxDrop: AMOUNT, minImprovement: AMOUNT, direction: { oneOf: ['lower', 'higher'] }, higherIsBetter: 'boolean' }

export const OPTIONS_SHAPE: Shape = {
  first: 'string',
  gate: { record: { shape: RULE } },
  against: 'string',
  minorOn: [...AMOUNT, { record: AMOUNT }],
  bump: 'function',
  buildMetadata: 'boolean',
  gitTag: 'boolean',
  tagPrefix: 'string',
  promote: 'boolean',
}

/** Shape check plus the rules a shape cannot say; every problem exits 2 before anything runs. */
export function checkOptions(name: string, options: SemverOptions): SemverOptions {
  validateOptions<SemverOptions>(name, options, OPTIONS_SHAPE)
  const problems: string[] = []
  if (options.first !== undefined && !semver.valid(options.first)) problems.push(`first must be a semantic version like 0.1.0, got "${options.first}"`)
  for (const [metric, rule] of Object.entries(options.gate ?? {})) {
    if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) problems.push(`gate.${metric}: min (${rule.min}) is above max (${rule.max})`)
    for (const key of ['maxDrop', 'minImprovement'] as const) {
      const problem = amountProblem(`gate.${metric}.${key}`, rule[key])
      if (problem) problems.push(problem)
    }
    if (rule.direction && rule.higherIsBetter !== undefined && (rule.direction === 'higher') !== rule.higherIsBetter) {
      problems.push(`gate.${metric} says direction: '${rule.direction}' and higherIsBetter: ${rule.higherIsBetter}; keep only direction`)
    }
    if (!directionOf(metric, rule)) problems.push(directionHint(`gate.${metric}`, metric))
    if (Object.keys(rule).filter((k) => k !== 'higherIsBetter' && k !== 'direction').length === 0) problems.push(`gate.${metric} has no threshold (min, max, maxDrop or minImprovement)`)
  }
  const minorOn = options.minorOn
  if (typeof minorOn === 'object') {
    for (const [m, v] of Object.entries(minorOn)) {
      const problem = amountProblem(`minorOn.${m}`, v)
      if (problem) problems.push(problem)
      if (!directionOf(m, options.gate?.[m])) problems.push(directionHint(`minorOn.${m}`, m))
    }
  } else {
    const problem = amountProblem('minorOn', minorOn)
    if (problem) problems.push(problem)
  }
  if (options.tagPrefix !== undefined && !/^[A-Za-z0-9._/-]*$/.test(options.tagPrefix)) problems.push(`tagPrefix "${options.tagPrefix}" is not usable in a git tag name`)
  if (problems.length) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, problems.length === 1 ? `Invalid option: ${name} ${problems[0]}.` : `Invalid options for ${name}:\n  - ${problems.join('\n  - ')}`, {
      plugin: name, hint: `Fix the ${name} options in your mlci config.`,
    })
  }
  return options
}
