import { hostname } from 'node:os'
import { join } from 'node:path'
import { ErrorCode, MlciError } from '../errors.js'
import type { RegistryBackend } from './backend.js'
import { checkAliasName, versionKey } from './documents.js'
import { FileRegistryBackend } from './file-backend.js'
import type { AliasChange, AliasMove, ModelVersion, MoveAliasOptions, NewModelVersion, Registry, VersionPatch, VersionStatus } from './types.js'

/** Lineage is written once: an update may fill a field that is still empty, never change one. */
const WRITE_ONCE: readonly (keyof ModelVersion)[] = [
  'runId', 'fingerprint', 'fingerprints', 'git', 'params', 'metrics', 'artifacts', 'signature', 'createdBy', 'deployable', 'dataset',
]

/** Aliases of the release state machine: they name only `ready` versions, and never the same one. */
export const RELEASE_ALIASES: readonly string[] = ['live', 'previous']

const TRANSITIONS: Record<VersionStatus, readonly VersionStatus[]> = {
  pending: ['pending', 'ready', 'failed'],
  // A release found broken (e.g. by a rollback) becomes failed; nothing becomes known-good again.
  ready: ['ready', 'failed'],
  failed: ['failed'],
}

/**
 * The model registry's rules over any storage backend (see backend.ts for the seam):
 * versions are created once as `pending`, move to `ready` or `failed`, keep their lineage;
 * aliases move by compare-and-swap and every move lands in the ledger in the same write.
 */
export class ModelRegistry implements Registry {
  constructor(readonly backend: RegistryBackend) {}

  /** All versions, oldest first. */
  async list(): Promise<ModelVersion[]> {
    const all = await this.backend.listVersions()
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.version.localeCompare(b.version))
  }

  async get(version: string): Promise<ModelVersion | undefined> {
    const doc = await this.backend.readVersion(versionKey(version))
    // `1.2.0` finds `1.2.0+data.abc`; a different build metadata does not.
    if (doc && version.includes('+') && doc.version !== version) return undefined
    return doc
  }

  async resolve(ref: string): Promise<ModelVersion | undefined> {
    const { aliases } = await this.backend.readAliases()
    if (aliases[ref] !== undefined) return this.get(aliases[ref])
    if (!isVersionName(ref)) return undefined
    return (await this.get(ref)) ?? (/^v\d/.test(ref) ? this.get(ref.slice(1)) : undefined)
  }

  async create(input: NewModelVersion): Promise<ModelVersion> {
    const key = versionKey(input.version)
    if (typeof input.fingerprint !== 'string' || typeof input.runId !== 'string') {
      throw new MlciError(ErrorCode.USAGE, `Version ${input.version} needs a fingerprint and a runId.`)
    }
    const now = new Date().toISOString()
    const doc: ModelVersion = {
      createdBy: { pid: process.pid, host: hostname() },
      ...input, status: 'pending', createdAt: now, updatedAt: now,
    }
    if (await this.backend.createVersion(key, doc)) return doc
    const existing = await this.backend.readVersion(key)
    throw new MlciError(ErrorCode.STATE_CONFLICT, `Model version ${key} already exists${existing ? ` (${existing.status}, created ${existing.createdAt} by run ${existing.runId})` : ''}.`, {
      hint: 'Versions are written once: pick the next free version number.',
    })
  }

  async update(version: string, patch: VersionPatch): Promise<ModelVersion> {
    const key = versionKey(version)
    return this.backend.exclusive(async () => {
      const current = await this.backend.readVersion(key)
      if (!current) throw new MlciError(ErrorCode.NOT_FOUND, `No model version ${version} in ${this.backend.location}.`)
      // Statuses are the release state's (setStatus, through ReleaseState): a status in a patch is
      // refused even from JavaScript, which the type cannot stop. The same status is no change.
      const asked = (patch as { status?: VersionStatus }).status
      if (asked !== undefined && asked !== current.status) throw statusThroughUpdate(current.version, current.status, asked)
      const status = current.status
      for (const field of WRITE_ONCE) {
        if (patch[field as keyof typeof patch] === undefined || current[field] === undefined) continue
        if (stableJson(patch[field as keyof typeof patch]) !== stableJson(current[field])) {
          throw new MlciError(ErrorCode.STATE_CONFLICT, `Model version ${current.version}: "${field}" is lineage and was already recorded; it cannot change.`)
        }
      }
      const next: ModelVersion = {
        ...current, ...patch, version: current.version, createdAt: current.createdAt, status, updatedAt: new Date().toISOString(),
      }
      await this.backend.replaceVersion(key, next)
      return next
    })
  }

  async aliases(): Promise<Record<string, string>> {
    return (await this.backend.readAliases()).aliases
  }

  /** One alias move; see moveAliases for the rules. */
  async moveAlias(alias: string, to: string | undefined, options: MoveAliasOptions): Promise<void> {
    await this.moveAliases([{ alias, to, expected: options.expected, reason: options.reason }], options)
  }

  /**
   * Move several aliases in one write (e.g. `live` and `previous` of a release), each by
   * compare-and-swap. The release invariants are checked on the state the moves produce:
   * `live` and `previous` name only `ready` versions, and never the same one. Other aliases may
   * name any version that is not failed.
   */
  async moveAliases(moves: AliasChange[], options: Omit<MoveAliasOptions, 'expected'>): Promise<AliasMove[]> {
    for (const move of moves) checkAliasName(move.alias)
    return this.backend.exclusive(async () => {
      const state = await this.backend.readAliases()
      const aliases = { ...state.aliases }
      const written: AliasMove[] = []
      for (const move of moves) {
        const from = aliases[move.alias]
        if (!sameVersion(from, move.expected)) {
          throw new MlciError(ErrorCode.STATE_CONFLICT, `Alias "${move.alias}" points to ${from ?? 'nothing'}, not ${move.expected ?? 'nothing'} as expected; it was not moved.`, {
            hint: 'Another process moved it first. Read the alias again and decide again (see `mlci history`).',
          })
        }
        const target = move.to === undefined ? undefined : (await this.aliasTarget(move.alias, move.to)).version
        if (sameVersion(from, target)) continue
        if (target === undefined) delete aliases[move.alias]
        else aliases[move.alias] = target
        written.push(dropUndefined({ time: new Date().toISOString(), alias: move.alias, from, to: target, by: options.by, runId: options.runId, reason: move.reason ?? options.reason }))
      }
      if (aliases.live !== undefined && sameVersion(aliases.live, aliases.previous)) {
        throw new MlciError(ErrorCode.STATE_CONFLICT, `Cannot point both "live" and "previous" at ${aliases.live}.`, {
          hint: '`previous` is what a rollback returns to; it must differ from `live` (or be unset).',
        })
      }
      if (!written.length) return []
      await this.backend.writeAliases({ revision: state.revision + 1, aliases, ledger: [...state.ledger, ...written] })
      return written
    })
  }

  /**
   * Change a version's status and record the change in the ledger (kind `status`), in one
   * exclusive section. A version that becomes `failed` loses the `live`/`previous` aliases that
   * named it in the same write, so they never name a failed version. `force` allows the moves
   * TRANSITIONS forbids (failed → ready), for `mlci registry mark` by a person.
   */
  async setStatus(version: string, status: VersionStatus, options: { reason: string; by: string; runId?: string; force?: boolean }): Promise<ModelVersion> {
    const key = versionKey(version)
    return this.backend.exclusive(async () => {
      const current = await this.backend.readVersion(key)
      if (!current) throw new MlciError(ErrorCode.NOT_FOUND, `No model version ${version} in ${this.backend.location}.`)
      if (!options.force && !TRANSITIONS[current.status].includes(status)) {
        throw new MlciError(ErrorCode.STATE_CONFLICT, `Model version ${current.version} cannot go from ${current.status} to ${status}.`, {
          hint: 'Status moves pending → ready | failed, and ready → failed. A person can override with `mlci registry mark <version> ready --reason …`.',
        })
      }
      const now = new Date().toISOString()
      const next: ModelVersion = { ...current, status, updatedAt: now }
      if (status === 'failed') next.reason = options.reason
      else delete next.reason
      const state = await this.backend.readAliases()
      const aliases = { ...state.aliases }
      const ledger: AliasMove[] = []
      if (current.status !== status) {
        ledger.push(dropUndefined({ time: now, kind: 'status' as const, alias: current.version, from: current.status, to: status, by: options.by, runId: options.runId, reason: options.reason }))
      }
      if (status === 'failed') {
        for (const alias of RELEASE_ALIASES) {
          if (!sameVersion(aliases[alias], current.version)) continue
          delete aliases[alias]
          ledger.push(dropUndefined({ time: now, alias, from: current.version, to: undefined, by: options.by, runId: options.runId, reason: `${current.version} failed: ${options.reason}` }))
        }
      }
      await this.backend.replaceVersion(key, next)
      if (ledger.length) await this.backend.writeAliases({ revision: state.revision + 1, aliases, ledger: [...state.ledger, ...ledger] })
      return next
    })
  }

  /** The version an alias may point at, or a clear refusal. */
  private async aliasTarget(alias: string, to: string): Promise<ModelVersion> {
    const doc = await this.get(to)
    if (!doc) throw new MlciError(ErrorCode.NOT_FOUND, `Cannot point "${alias}" at ${to}: no such version in ${this.backend.location}.`)
    if (doc.status === 'failed') {
      throw new MlciError(ErrorCode.STATE_CONFLICT, `Cannot point "${alias}" at ${doc.version}: it is failed (${doc.reason ?? 'no reason'}).`, {
        hint: 'If the version is good after all, a person can say so: `mlci registry mark <version> ready --reason …`.',
      })
    }
    if (RELEASE_ALIASES.includes(alias) && doc.status !== 'ready') {
      throw new MlciError(ErrorCode.STATE_CONFLICT, `Cannot point "${alias}" at ${doc.version}: it is ${doc.status}, and "${alias}" only names ready versions.`, {
        hint: 'A version becomes ready when its deploy (and monitor) succeeded.',
      })
    }
    return doc
  }

  async ledger(): Promise<AliasMove[]> {
    return (await this.backend.readAliases()).ledger
  }
}

/** The default registry: files under `<stateDir>/registry`. Constructing it does no I/O. */
export function createEmbeddedRegistry(stateDir: string): ModelRegistry {
  return new ModelRegistry(new FileRegistryBackend(join(stateDir, 'registry')))
}

function isVersionName(ref: string): boolean {
  try {
    versionKey(ref)
    return true
  } catch {
    return false
  }
}

function sameVersion(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.split('+')[0] === b.split('+')[0]
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` compare equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v)
}

/** The error for a status change attempted through `update()`; `plugin` names who tried (ctx.registry of a tap). */
export function statusThroughUpdate(version: string, from: VersionStatus, to: VersionStatus, plugin?: string): MlciError {
  return new MlciError(ErrorCode.STATE_CONFLICT, `${plugin ? `Plugin ${plugin}` : 'registry.update()'} tried to change the status of ${version} (${from} → ${to}) through registry.update(); only the release state changes statuses.`, {
    hint: 'Update metadata with ctx.registry.update(); report release facts to ctx.release (released, markReady, markFailed) — core decides the status. A person repairs one with `mlci registry mark <version> ready|failed --reason …`.',
    ...(plugin ? { plugin } : {}),
  })
}
