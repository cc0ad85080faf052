import { resolve } from 'node:path'
import { ErrorCode, MlciError, type ArtifactRef, type RunContext } from '@mlci/core'

/**
 * Copy every artifact into the content store before the version is recorded, so any recorded
 * version can be restored by digest (rollback) and none is ever recorded without its blobs.
 * The stored digest must be the one training reported: a file changed since is refused.
 * A blob already in the store is verified and, when damaged, replaced by these bytes.
 */
export async function storeArtifacts(ctx: RunContext, artifacts: ArtifactRef[]): Promise<void> {
  for (const artifact of artifacts) {
    // put() verifies a blob that is already there and replaces it when it is corrupt, so the
    // same bytes trained again heal a damaged store instead of pointing at the damage.
    const file = resolve(ctx.cwd, artifact.path)
    const stored = await ctx.store.put(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        throw new MlciError(ErrorCode.NOT_FOUND, `Artifact ${artifact.path} is gone: it was trained but no longer exists.`, { hint: 'Something removed it after training; run mlci build again.' })
      }
      throw error
    })
    if (stored.digest !== artifact.digest) {
      throw new MlciError(ErrorCode.STATE_CONFLICT, `Artifact ${artifact.path} changed after training (now ${stored.digest.slice(0, 19)}…, trained ${artifact.digest.slice(0, 19)}…).`, {
        hint: 'Something modified it between train and version; run mlci build again.',
      })
    }
  }
}

/** True when every artifact's blob is in the store (checked before a version becomes ready). */
export async function artifactsStored(ctx: RunContext, artifacts: ArtifactRef[] = []): Promise<string[]> {
  const missing: string[] = []
  for (const a of artifacts) if (!(await ctx.store.has(a.digest))) missing.push(a.path)
  return missing
}
