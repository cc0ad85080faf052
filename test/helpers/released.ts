import { join } from 'node:path'
import { createEmbeddedRegistry } from '@mlci/core'

/**
 * The embedded registry of `dir` (`.mlci/`) as if each of `versions` had been released in turn:
 * every one ready, the last `live`, the one before it `previous`.
 */
export async function releasedInTurn(dir: string, versions: string[]): Promise<void> {
  const registry = createEmbeddedRegistry(join(dir, '.mlci'))
  let live: string | undefined
  for (const version of versions) {
    await registry.create({ version, fingerprint: `f-${version}`, runId: 'setup' })
    await registry.setStatus(version, 'ready', { reason: 'setup', by: 'test' })
    // One write: previous and live never name the same version, even for a moment.
    await registry.moveAliases([...(live ? [{ alias: 'previous', to: live, expected: undefined }] : []), { alias: 'live', to: version, expected: live }], { reason: 'setup', by: 'test' })
    live = version
  }
}
