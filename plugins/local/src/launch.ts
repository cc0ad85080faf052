import { join, resolve } from 'node:path'
import {
  ErrorCode, MlciError, SECRET_NAME, containedPath, findExecutable, resolvePythonInterpreter, sha256File,
  type ArtifactRef, type ContentStore, type Deployable, type PhaseContext,
} from '@mlci/core'
import { keptServerArgv } from './deployable.js'
import type { LaunchSpec, LocalState } from './state.js'
import type { LocalOptions } from './options.js'

const PLACEHOLDER = /\{(model|port|version|host|dir)\}/g

/**
 * Restore a version's artifacts from the content store into its own folder, so any `ready`
 * version can be started again later whatever the working tree holds now. Files already there
 * with the right content are left alone.
 */
export async function materializeArtifacts(store: ContentStore, artifacts: ArtifactRef[], dir: string, version = '?'): Promise<Map<string, string>> {
  const placed = new Map<string, string>()
  for (const artifact of artifacts) {
    // The path comes from a registry record: it must not lead out of the version's folder.
    const dest = containedPath(join(dir, 'artifacts'), artifact.path.replace(/^(\.\.\/)+/, ''), {
      what: `The registry record of version ${version} names an artifact path`, code: ErrorCode.STATE_CORRUPT,
      hint: `Refusing to write outside the deploy folder. Check the record with \`mlci show ${version}\`; artifact paths are relative to the project.`,
    })
    const present = await sha256File(dest).then((r) => r.digest, () => undefined)
    if (present !== artifact.digest) await store.restore(artifact.digest, dest)
    placed.set(artifact.path, dest)
  }
  return placed
}

/** The artifact that is "the model" ({model}): the configured path, the only one, or one named model*. */
export function pickModel(artifacts: ArtifactRef[], wanted: string | undefined, version: string): ArtifactRef {
  const norm = (p: string) => p.replace(/^\.\//, '')
  if (wanted) {
    const hit = artifacts.find((a) => norm(a.path) === norm(wanted))
    if (!hit) {
      throw new MlciError(ErrorCode.NOT_FOUND, `Version ${version} has no artifact "${wanted}" (it has: ${artifacts.map((a) => a.path).join(', ') || 'none'}).`, {
        hint: 'Set the local deployer\'s `artifact` option to one of the paths the trainer recorded.',
      })
    }
    return hit
  }
  if (artifacts.length === 1) return artifacts[0]
  const named = artifacts.filter((a) => /(^|\/)model[^/]*$/.test(a.path))
  if (named.length === 1) return named[0]
  throw new MlciError(ErrorCode.USAGE, artifacts.length
    ? `Version ${version} has ${artifacts.length} artifacts (${artifacts.map((a) => a.path).join(', ')}); which one is the model?`
    : `Version ${version} records no artifacts, so there is no model file to serve.`, {
    hint: artifacts.length ? 'Set the local deployer\'s `artifact` option, e.g. local({ artifact: "out/model.json" }).' : 'Make sure the trainer declares the model file as an output.',
  })
}

/** The folder the server runs in, and that a relative command[0] is found from: `cwd` against the project root. */
export function serverCwd(ctx: { cwd: string }, options: LocalOptions): string {
  return resolve(ctx.cwd, options.cwd ?? '.')
}

export function programNotFound(argv0: string, cwd: string): MlciError {
  return new MlciError(ErrorCode.EXEC_NOT_FOUND, `The local deployer's command ${argv0} was not found${argv0.includes('/') ? ` (from ${cwd})` : ' on PATH'}.`, {
    hint: 'Install it, or set the `command` option of @mlci/plugin-local, e.g. command: ["/usr/bin/python3", "serve.py", …].',
  })
}

/**
 * The program to put in a kept launch spec. A bare `python3` is often a pyenv shim (a shell
 * script adding ~75 ms per start and re-resolving the version each time): core asks it once
 * (remembered in .mlci/python.json) for the real interpreter, so a rollback restart starts the
 * same Python immediately.
 */
export async function resolveProgram(ctx: PhaseContext, argv0: string, cwd: string): Promise<string> {
  const found = /^python(\d+(\.\d+)?)?$/.test(argv0)
    ? (await resolvePythonInterpreter(ctx, { command: argv0, cwd, hint: 'Set the `command` option of @mlci/plugin-local to a working Python interpreter.' }))?.executable
    : await findExecutable(argv0, ctx.env.PATH ?? '', cwd)
  if (!found) throw programNotFound(argv0, cwd)
  return found
}

/** Build (and keep) the launch spec of a version: placeholders filled, model restored. */
export async function prepareLaunch(args: {
  version: string
  artifacts: ArtifactRef[]
  options: LocalOptions
  ctx: PhaseContext
  state: LocalState
  /** The version's kept server files (its registry record). */
  deployable?: Deployable
}): Promise<LaunchSpec> {
  const { version, options, ctx, state } = args
  const dir = state.versionDir(version)
  const usesModel = options.command.some((a) => a.includes('{model}'))
  let model = ''
  if (usesModel) {
    const picked = pickModel(args.artifacts, options.artifact, version)
    const placed = await materializeArtifacts(ctx.store, args.artifacts, dir, version)
    model = placed.get(picked.path)!
  }
  const values: Record<string, string> = { model, port: String(options.port), version, host: options.host, dir }
  const cwd = serverCwd(ctx, options)
  const command = await keptServerArgv(ctx.store, args.deployable, options.command, ctx, cwd, dir)
  const argv = command.map((a) => a.replace(PLACEHOLDER, (_, k: string) => values[k]))
  argv[0] = await resolveProgram(ctx, argv[0], cwd)
  const env: Record<string, string | null> = {}
  for (const [k, v] of Object.entries(options.env)) env[k] = SECRET_NAME.test(k) ? null : v
  const spec: LaunchSpec = { version, argv, cwd, host: options.host, port: options.port, env, createdAt: new Date().toISOString() }
  await state.saveLaunchSpec(spec)
  return spec
}

/** The environment a kept spec runs with: the run's env, the spec's env, secrets filled from now. */
export function launchEnv(spec: LaunchSpec, options: LocalOptions, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base }
  for (const [k, v] of Object.entries(spec.env)) env[k] = v ?? options.env[k] ?? base[k]
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return env
}
