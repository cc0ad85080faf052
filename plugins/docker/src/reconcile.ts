import type { PhaseContext } from '@mlci/core'
import type { DockerCli } from './docker-cli.js'
import type { ResolvedDockerOptions } from './options.js'

/**
 * Repair what an interrupted deploy (mlci killed mid-swap) left behind, before deploying again.
 * The `live` alias is the truth: if the stable container does not serve it but the parked
 * `-previous` container does, the swap never completed — put the parked one back. This keeps
 * the invariants: one serving container, and `live` never names a version nobody serves.
 */
export async function reconcileContainers(ctx: PhaseContext, docker: DockerCli, options: ResolvedDockerOptions, live: string | undefined): Promise<void> {
  const { container, previousContainer, stagingContainer } = options
  await docker.remove(stagingContainer)
  if (!live) return
  const current = await docker.containerInspect(container)
  if (current?.version === live) return
  const parked = await docker.containerInspect(previousContainer)
  if (parked?.version !== live) return
  ctx.log.warn(`Found an interrupted deploy: ${container} ${current ? `serves ${current.version ?? 'an unknown version'}` : 'is missing'} but live is ${live}. Restoring ${live} from ${previousContainer}.`)
  if (current) await docker.remove(container)
  await docker.rename(previousContainer, container)
  await docker.start(container)
}
