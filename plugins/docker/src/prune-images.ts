import type { PhaseContext } from '@mlci/core'
import { LABEL, type DockerCli } from './docker-cli.js'
import type { ResolvedDockerOptions } from './options.js'

/**
 * Keep the newest `keepImages` images of this deployment (by our name label) that are not
 * failed versions', and remove the others. Never removes a protected image (ready versions',
 * any image a container of ours uses) and never forces: the engine refuses to delete an image a container still needs.
 */
export async function pruneImages(ctx: PhaseContext, docker: DockerCli, options: ResolvedDockerOptions, protectedIds: Iterable<string | undefined>, failedIds: Iterable<string> = []): Promise<string[]> {
  const failed = new Set(failedIds)
  const listed = await docker.run(['image', 'ls', '--no-trunc', '--filter', `label=${LABEL.name}=${options.name}`, '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'], { quiet: true, timeoutMs: 30_000 })
  const refs = new Map<string, string[]>()
  for (const line of listed.stdout.split('\n').filter(Boolean)) {
    const [id, ref] = line.split(' ')
    const list = refs.get(id) ?? []
    if (!ref.includes('<none>')) list.push(ref)
    refs.set(id, list)
  }
  if (refs.size <= options.keepImages) return []
  const inspected = await docker.run(['image', 'inspect', '--format', '{{.Id}} {{.Created}}', ...refs.keys()], { quiet: true, reject: false, timeoutMs: 30_000 })
  const newestFirst = inspected.stdout.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string])
    .sort((a, b) => Date.parse(b[1]) - Date.parse(a[1])).map(([id]) => id)
  // Failed versions' images never count towards the kept newest ones.
  const keep = new Set<string>([...newestFirst.filter((id) => !failed.has(id)).slice(0, options.keepImages), ...[...protectedIds].filter((id): id is string => Boolean(id))])
  for (const name of [options.container, options.previousContainer]) {
    const c = await docker.containerInspect(name)
    if (c) keep.add(c.imageId)
  }
  const removed: string[] = []
  for (const id of newestFirst) {
    if (keep.has(id)) continue
    const targets = refs.get(id)!.length ? refs.get(id)! : [id]
    const result = await docker.run(['image', 'rm', ...targets], { quiet: true, reject: false, timeoutMs: 60_000 })
    if (result.exitCode === 0) removed.push(...targets)
    else ctx.log.warn(`Could not remove old image ${targets.join(', ')}: ${result.stderr.trim().split('\n').pop()}`)
  }
  if (removed.length) ctx.log.info(`Removed ${removed.length} old image${removed.length > 1 ? 's' : ''} (keeping ${options.keepImages}): ${removed.join(', ')}`)
  return removed
}
