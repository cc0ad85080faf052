import type { AnalysisReport, ArtifactRef, Deployable, ModelSignature } from '../data.js'
import type { DatasetRef } from '../hash/data-digest.js'

export type VersionStatus = 'pending' | 'ready' | 'failed'

/** One model version with its lineage. Written once; only status and deployment facts change. */
export interface ModelVersion {
  version: string
  status: VersionStatus
  /** Why it failed (set with status `failed`). */
  reason?: string
  createdAt: string
  updatedAt: string
  runId: string
  git?: { commit: string; dirty: boolean }
  /** Fingerprint of everything the model was built from (train inputs, params, code). */
  fingerprint: string
  /** Per-phase fingerprints of the run that produced it. */
  fingerprints?: Record<string, string>
  params?: Record<string, unknown>
  metrics?: Record<string, number>
  artifacts?: ArtifactRef[]
  signature?: ModelSignature
  /** The training data's content digest (the `+data.<hash>` of the version), when the trainer declared data. */
  dataset?: DatasetRef
  /** Server code and deployer options released with the model (see Deployable). */
  deployable?: Deployable
  /** Filled by the deployer. */
  image?: { name: string; tag?: string; digest?: string; pushed?: string }
  analysis?: AnalysisReport[]
  /** Free-form lineage third-party plugins may add. */
  extra?: Record<string, unknown>
  /** The process that created the record (set by the registry), so a record left `pending` by a crashed run can be recognised. */
  createdBy?: { pid: number; host: string }
}

export type NewModelVersion = Omit<ModelVersion, 'status' | 'createdAt' | 'updatedAt'> & { status?: 'pending' }

/** One alias move (or, with kind `status`, a status change of the version in `alias`), appended to the ledger. */
export interface AliasMove {
  time: string
  /** `status`: a version's status changed (`alias` is the version, from/to are statuses). Absent: an alias move. */
  kind?: 'status'
  alias: string
  from?: string
  to?: string
  /** The command that moved it, e.g. `mlci build` or `mlci rollback`. */
  by: string
  runId?: string
  reason: string
}

export interface MoveAliasOptions {
  /** Compare-and-swap: the move fails unless the alias currently points here (undefined = unset). */
  expected: string | undefined
  reason: string
  by: string
  runId?: string
}

/** One move of moveAliases: compare-and-swap from `expected` to `to` (undefined = remove). */
export interface AliasChange {
  alias: string
  to: string | undefined
  expected: string | undefined
  /** Overrides the call's reason for this move's ledger entry. */
  reason?: string
}

/**
 * The model registry as plugins see it (`ctx.registry`). The embedded backend lives under
 * `.mlci/registry/`; a shared store (object storage, PostgreSQL) implements the same interface.
 */
export interface Registry {
  list(): Promise<ModelVersion[]>
  get(version: string): Promise<ModelVersion | undefined>
  /** A version or an alias (`live`, `previous`, `champion`, …). */
  resolve(ref: string): Promise<ModelVersion | undefined>
  /**
   * Create-if-absent, status `pending`; throws MLCI_STATE_CONFLICT when the version exists.
   * The key ignores build metadata: `1.2.0+data.a` and `1.2.0+data.b` are the same version.
   */
  create(version: NewModelVersion): Promise<ModelVersion>
  /**
   * Metadata additions (image, analysis reports, lineage not recorded yet). Lineage already
   * recorded (params, metrics, artifacts, fingerprint, …) cannot change: MLCI_STATE_CONFLICT.
   * A status change is refused (MLCI_STATE_CONFLICT): statuses belong to the release state
   * (ctx.release / setStatus). MLCI_NOT_FOUND when the version is absent.
   */
  update(version: string, patch: VersionPatch): Promise<ModelVersion>
  aliases(): Promise<Record<string, string>>
  /**
   * Move (or with `to` undefined, remove) an alias by compare-and-swap; the alias and its ledger entry
   * are written together. MLCI_STATE_CONFLICT when the alias is not at `expected` (build metadata is
   * ignored in the comparison) or the target is `failed`; MLCI_NOT_FOUND for an unknown target.
   * Moving an alias to where it already points is a no-op (no ledger entry).
   */
  moveAlias(alias: string, to: string | undefined, options: MoveAliasOptions): Promise<void>
  /**
   * Several moves in one write. `live` and `previous` only ever name ready versions and never the
   * same one (MLCI_STATE_CONFLICT otherwise). mlci itself moves aliases only through the release
   * state (`ctx.release`); plugins should too.
   */
  moveAliases(moves: AliasChange[], options: Omit<MoveAliasOptions, 'expected'>): Promise<AliasMove[]>
  /**
   * Change a status and record it in the ledger; `failed` also drops `live`/`previous` naming the
   * version. `force` permits failed → ready (a person's repair). Used by the release state.
   */
  setStatus(version: string, status: VersionStatus, options: { reason: string; by: string; runId?: string; force?: boolean }): Promise<ModelVersion>
  ledger(): Promise<AliasMove[]>
}

/** What `Registry.update` may change: anything but identity and status (the release state's). */
export type VersionPatch = Partial<Omit<ModelVersion, 'version' | 'createdAt' | 'status'>>
