import type { DatasetRef } from './hash/data-digest.js'

/**
 * Typed run data that plugins share through the context (`ctx.data`). Plugins never import each
 * other: a producer writes a field, a consumer reads it. Third-party plugins add their own fields
 * by declaration merging:
 *
 *   declare module '@mlci/core' { interface RunData { modelCard?: { path: string } } }
 */
export interface RunData {
  /** Published by the test phase (pytest plugin). */
  tests?: TestSummary
  /** Published by the validate phase (data checks): what was checked and how it went. */
  validation?: ValidationReport
  /** Training/evaluation params, as passed to the training command (trainer). */
  params?: Record<string, unknown>
  /** Where each of `params` came from: a params file, `trainer options`, or `env MLCI_PARAM_<NAME>` (trainer). */
  paramSources?: Record<string, string>
  /** Metrics of the candidate model, all finite numbers (trainer, evaluate). */
  metrics?: Record<string, number>
  /** Files the training produced, with content digests (trainer). */
  artifacts?: ArtifactRef[]
  /** The model's input/output signature (trainer). */
  signature?: ModelSignature
  /** The content of the declared training data files only (trainer); versions carry it as `+data.<hash>`. */
  dataset?: DatasetRef
  /** Gate outcome (semver plugin's gate, or any gate plugin). */
  gate?: GateReport
  /** The version this run proposes/records (semver plugin's version tap). */
  candidate?: VersionProposal
  /** What is running after deploy (deployer). */
  deployment?: DeploymentInfo
  /** Monitor analysis results. */
  analysis?: AnalysisReport[]
  /** Set by the rollback plugin when it ran. */
  rollback?: RollbackReport
  /** What the deployer deploys besides the model (set by the deployer in the version phase). */
  deployable?: Deployable
}

/**
 * The deployable part of a release besides the model: server code, Dockerfile and context,
 * the deployer's options. A deployer computes it in the version phase; a different fingerprint
 * makes a new version ("server changed") even when the model is the same, and the files (kept
 * in the content store) let a rollback run the code that was released with the version.
 */
export interface Deployable {
  /** The deployer plugin that declared it. */
  by: string
  /** sha256 over the files' digests and the deployer's options (secret values left out). */
  fingerprint: string
  /** Files kept in the content store, paths relative to the project root. */
  files?: ArtifactRef[]
  /** One line for the version's reason, e.g. "serve.py, options". */
  summary?: string
}

export interface TestSummary {
  passed: number
  failed: number
  skipped: number
  errors: number
  total: number
  durationMs: number
  failures: { id: string; message: string }[]
}

export interface ValidationReport {
  passed: boolean
  checks: { name: string; pass: boolean; message?: string }[]
}

export interface ArtifactRef {
  /** Path relative to the project root. */
  path: string
  /** `sha256:<hex>` of the content. */
  digest: string
  size: number
}

export interface ModelSignature {
  inputs: { name: string; type: string }[]
  outputs: unknown
}

export interface GateVerdict {
  metric: string
  candidate?: number
  live?: number
  threshold: string
  pass: boolean
  reason?: string
}

export interface GateReport {
  passed: boolean
  liveVersion?: string
  verdicts: GateVerdict[]
}

/** A version decision. Threaded through the `version` waterfall hook. */
export interface VersionProposal {
  version: string
  /** major | minor | patch | prerelease | none (an existing version is reused). */
  bump: string
  reason: string
  previous?: string
  /** True when an existing ready version has exactly these inputs: nothing new is recorded. */
  reused?: boolean
  /** Input fingerprint the version was computed from. */
  fingerprint?: string
}

export interface DeploymentInfo {
  version: string
  target: string
  url?: string
  /** e.g. container id, pid, image digest. */
  ref?: string
  image?: string
  imageDigest?: string
  /** True when the version was already live and nothing was changed. */
  unchanged?: boolean
}

export interface AnalysisSample {
  index: number
  time: string
  /** Per metric; null when there was no data or the source could not be read. */
  values: Record<string, number | null>
  verdict: 'success' | 'failure' | 'inconclusive' | 'error'
  message?: string
  /** Per-metric outcome of this sample (monitor plugin). */
  metrics?: Record<string, { value: number | null; verdict: AnalysisSample['verdict']; noData?: boolean; message?: string }>
}

export type AnalysisVerdict = 'success' | 'failure' | 'inconclusive' | 'error'

/**
 * How an analysis ended, in Argo Rollouts' AnalysisRun phases. This is the contract a release
 * acts on: only `Failed` is a verdict against the model (mark the version failed, roll back);
 * `Error` means the analysis could not measure (a metrics endpoint, Prometheus or a probe
 * request broke) and `Inconclusive` that the measurements decided nothing — neither ever marks
 * a version failed, and they roll back only when the monitor's `rollbackOn` names them.
 */
export type AnalysisOutcome = 'Successful' | 'Failed' | 'Error' | 'Inconclusive'

/** How one metric of an analysis ended, with its measurement counts. */
export interface AnalysisMetricSummary {
  name: string
  verdict: 'success' | 'failure' | 'inconclusive' | 'error'
  successes: number
  failures: number
  inconclusive: number
  errors: number
  /** Samples without data (counted as failures or inconclusive, per the noData policy). */
  noData: number
  message?: string
}

export interface AnalysisReport {
  name: string
  version: string
  /** Argo's phase name for `verdict` (see AnalysisOutcome); absent in reports written before it existed. */
  outcome?: AnalysisOutcome
  verdict: AnalysisVerdict
  /** What the monitor asked of the release: roll back (its `rollbackOn` names the outcome) or not. */
  rollback?: boolean
  samples: AnalysisSample[]
  message?: string
  /** The base URL analysed. */
  url?: string
  metrics?: AnalysisMetricSummary[]
  startedAt?: string
  endedAt?: string
}

export interface RollbackReport {
  from?: string
  to?: string
  ok: boolean
  reason: string
  error?: string
}
