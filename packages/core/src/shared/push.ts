import { join } from 'node:path'
import { ErrorCode, MlciError } from '../errors.js'
import type { Mlci } from '../mlci.js'
import { FileRegistryBackend } from '../registry/file-backend.js'
import { PgRegistryBackend } from '../registry/pg/backend.js'
import { ModelRegistry } from '../registry/registry.js'
import type { AliasMove } from '../registry/types.js'
import { SharedContentStore } from '../store/shared-store.js'

export interface PushReport {
  to: string
  model: string
  versions: { copied: string[]; present: string[]; conflicting: string[] }
  blobs: number
  ledger: { appended: number; status: 'copied' | 'up to date' | 'diverged' }
}

/**
 * `mlci registry push`: copy the checkout's embedded registry (.mlci/registry) into the shared
 * one, idempotently. Versions are created if absent (an existing one with other lineage is
 * reported, never overwritten); artifacts go to the shared store first, so no copied version
 * names a blob other runners cannot get; the alias ledger is appended when the shared ledger is
 * a prefix of the local one (a first push, or a repeat), and refused when they diverged.
 */
export async function pushRegistry(mlci: Mlci): Promise<PushReport> {
  const shared = mlci.registry
  const backend = shared instanceof ModelRegistry ? shared.backend : undefined
  if (!(backend instanceof PgRegistryBackend)) {
    throw new MlciError(ErrorCode.USAGE, 'mlci registry push copies the embedded registry into a shared one, and none is configured.', {
      hint: "Set MLCI_REGISTRY_URL=postgres://… (and MLCI_STORE_URL=s3://… for the artifacts), or registry: { url: '…' } in the config.",
    })
  }
  const local = new FileRegistryBackend(join(mlci.stateDir, 'registry'))
  const versions = await new ModelRegistry(local).list()
  const report: PushReport = { to: backend.location, model: backend.model, versions: { copied: [], present: [], conflicting: [] }, blobs: 0, ledger: { appended: 0, status: 'up to date' } }
  const store = mlci.store instanceof SharedContentStore ? mlci.store : undefined
  for (const doc of versions) {
    const key = doc.version.split('+')[0]
    if (store) {
      for (const artifact of doc.artifacts ?? []) {
        await store.push(artifact.digest)
        report.blobs++
      }
    }
    if (await backend.createVersion(key, doc)) {
      report.versions.copied.push(doc.version)
      continue
    }
    const existing = await backend.readVersion(key)
    const same = existing && existing.fingerprint === doc.fingerprint && existing.runId === doc.runId
    if (same && existing.status !== doc.status && existing.status === 'pending') {
      await backend.exclusive(() => backend.replaceVersion(key, { ...existing, status: doc.status, reason: doc.reason, updatedAt: doc.updatedAt }))
    }
    ;(same ? report.versions.present : report.versions.conflicting).push(doc.version)
  }
  const localAliases = await local.readAliases()
  await backend.exclusive(async () => {
    const remote = await backend.readAliases()
    if (!isPrefix(remote.ledger, localAliases.ledger)) {
      report.ledger.status = 'diverged'
      return
    }
    const added = localAliases.ledger.slice(remote.ledger.length)
    if (!added.length) return
    await backend.writeAliases({ revision: remote.revision + 1, aliases: localAliases.aliases, ledger: [...remote.ledger, ...added] })
    report.ledger = { appended: added.length, status: 'copied' }
  })
  return report
}

function isPrefix(prefix: AliasMove[], of: AliasMove[]): boolean {
  if (prefix.length > of.length) return false
  return prefix.every((move, i) => move.time === of[i].time && move.alias === of[i].alias && move.to === of[i].to && move.from === of[i].from)
}
