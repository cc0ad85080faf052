import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { SECRET_NAME, sha256File, type ArtifactRef, type ContentStore, type Deployable, type PhaseContext } from '@mlci/core'
import { serverCwd } from './launch.js'
import { NAME, type LocalOptions } from './options.js'

/**
 * What this deployer deploys besides the model: the server files (`serverFiles`, default the
 * files the command names, e.g. serve.py) and its options. Computed in the version phase, so a
 * changed serve.py or option makes a new version; the files go to the content store (not under
 * --dry-run), so every version can be started later with the code it was released with.
 */
export async function localDeployable(ctx: PhaseContext, options: LocalOptions): Promise<Deployable> {
  const cwd = serverCwd(ctx, options)
  const files: ArtifactRef[] = []
  for (const path of await serverFiles(cwd, options)) {
    const abs = resolve(cwd, path)
    const { digest, size } = ctx.dryRun ? await sha256File(abs) : await ctx.store.put(abs)
    files.push({ path: relative(ctx.cwd, abs), digest, size })
  }
  // Secret values never enter the fingerprint (it is stored): only that there is one.
  const env = Object.fromEntries(Object.entries(options.env).map(([k, v]) => [k, SECRET_NAME.test(k) ? '(secret)' : v]))
  // What is deployed, not how it is watched: health checks, stop grace and kept folders are
  // operational settings and make no new version.
  const { health: _health, stopTimeoutMs: _stop, keep: _keep, ...deployed } = options
  const basis = { files: files.map((f) => [f.path, f.digest]), options: { ...deployed, env } }
  const fingerprint = `sha256:${createHash('sha256').update(JSON.stringify(basis)).digest('hex')}`
  return { by: NAME, fingerprint, files, summary: [...files.map((f) => f.path), 'options'].join(', ') }
}

/** The files of the server: configured, or every argument of the command that is a file here. */
async function serverFiles(cwd: string, options: LocalOptions): Promise<string[]> {
  if (options.serverFiles) return options.serverFiles
  const out: string[] = []
  for (const arg of options.command.slice(1)) {
    if (arg.includes('{') || arg.startsWith('-')) continue
    const s = await stat(resolve(cwd, arg)).catch(() => undefined)
    if (s?.isFile()) out.push(arg)
  }
  return out
}

/**
 * Put a version's kept server files under its folder (`server/<path>`) and point the command's
 * arguments at them, so a rollback runs the code released with it, not today's working tree.
 * Returns the argv unchanged for a version recorded without files.
 */
export async function keptServerArgv(store: ContentStore, deployable: Deployable | undefined, argv: string[], ctx: { cwd: string }, cwd: string, versionDir: string): Promise<string[]> {
  const files = deployable?.by === NAME ? deployable.files ?? [] : []
  if (!files.length) return argv
  const placed = new Map<string, string>()
  for (const file of files) {
    const dest = join(versionDir, 'server', file.path.replace(/^(\.\.\/)+/, ''))
    const present = await sha256File(dest).then((r) => r.digest, () => undefined)
    if (present !== file.digest) await store.restore(file.digest, dest)
    placed.set(resolve(ctx.cwd, file.path), dest)
  }
  return argv.map((arg, i) => (i === 0 ? arg : placed.get(resolve(cwd, arg)) ?? arg))
}
