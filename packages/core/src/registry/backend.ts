import type { AliasMove, ModelVersion } from './types.js'

/** The alias table and its ledger, stored and replaced together so a move is never half-recorded. */
export interface AliasState {
  /** Increases by one with every write; a shared store can use it for optimistic concurrency. */
  revision: number
  aliases: Record<string, string>
  /** Append-only: every write is the previous ledger plus new entries. */
  ledger: AliasMove[]
}

/**
 * THE SEAM for a shared registry. `ModelRegistry` (registry.ts) holds every rule — status
 * transitions, write-once lineage, alias compare-and-swap, the ledger — and talks to storage
 * only through these primitives. The embedded default is `FileRegistryBackend` (.mlci/registry/).
 * A shared store implements the same few methods, e.g.
 *   - PostgreSQL: createVersion = INSERT … ON CONFLICT DO NOTHING; exclusive = a transaction
 *     holding pg_advisory_xact_lock; aliases + ledger = two tables written in that transaction.
 *   - Object storage with conditional writes: createVersion = PUT If-None-Match: *; exclusive =
 *     a lock object created the same way (or optimistic retries on `revision` with If-Match).
 * and is passed as `new Mlci({ registry: new ModelRegistry(backend) })`; plugins see no change.
 *
 * Contract: reads never observe a partial write; a damaged document makes reads throw
 * MLCI_STATE_CORRUPT naming it (never treated as absent, never overwritten).
 */
export interface RegistryBackend {
  /** Where the registry lives, for messages (a folder, a URL). */
  readonly location: string
  listVersions(): Promise<ModelVersion[]>
  /** `key` is the version without build metadata (`1.2.0-rc.1`, never `…+data.abc`). */
  readVersion(key: string): Promise<ModelVersion | undefined>
  /** Create-if-absent, atomically; false when the key exists. Safe without `exclusive`. */
  createVersion(key: string, doc: ModelVersion): Promise<boolean>
  /** Replace an existing version document. Callers hold `exclusive`. */
  replaceVersion(key: string, doc: ModelVersion): Promise<void>
  readAliases(): Promise<AliasState>
  /** Callers hold `exclusive`. */
  writeAliases(state: AliasState): Promise<void>
  /** Run a short read-modify-write with exclusive write access across processes. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
}
