import type { ModelSignature } from '../data.js'
import type { ModelVersion } from '../registry/types.js'
import type { ContentStore } from '../store/content-store.js'

/** Why a version cannot be restored from what is stored, or undefined when its artifacts verify. */
export async function brokenArtifacts(store: ContentStore, version: ModelVersion): Promise<string | undefined> {
  for (const artifact of version.artifacts ?? []) {
    if (!(await store.verify(artifact.digest).catch(() => false))) {
      return `its artifact ${artifact.path} (${artifact.digest.slice(0, 19)}…) is missing from the store or does not match its digest`
    }
  }
  return undefined
}

/**
 * Whether `target` serves the same request/response shape as `from`: a rollback across a
 * signature change (a major bump in the semver plugin's policy) would put a server live that
 * rejects what clients send. Versions that recorded no signature are not judged.
 */
export function signatureChange(from: ModelVersion | undefined, target: ModelVersion): string | undefined {
  if (!from?.signature || !target.signature) return undefined
  const a = signatureText(from.signature)
  const b = signatureText(target.signature)
  return a === b ? undefined : `its signature (${b}) differs from ${from.version}'s (${a})`
}

function signatureText(signature: ModelSignature): string {
  const inputs = (signature.inputs ?? []).map((i) => `${i.name}:${i.type}`).join(', ')
  return `inputs ${inputs}; outputs ${JSON.stringify(signature.outputs ?? null)}`
}

/**
 * Why `target` may not be a rollback target, or undefined when it may: only ready versions,
 * never the version being left (the failed candidate, or live for `mlci rollback`), never one
 * whose signature differs from what clients talk to unless a person asked for it by name.
 */
export function ineligibleTarget(target: ModelVersion, context: { leaving?: string; clientsUse?: ModelVersion; allowSignatureChange?: boolean } = {}): string | undefined {
  if (target.status !== 'ready') return `it is ${target.status}${target.reason ? ` (${target.reason})` : ''}`
  if (context.leaving && target.version.split('+')[0] === context.leaving.split('+')[0]) return 'it is the version being left'
  if (!context.allowSignatureChange && context.clientsUse && context.clientsUse.version !== target.version) return signatureChange(context.clientsUse, target)
  return undefined
}
