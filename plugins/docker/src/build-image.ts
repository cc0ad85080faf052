import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { ErrorCode, MlciError, type ModelVersion, type PhaseContext, type RunContext } from '@mlci/core'
import { runBounded } from './bounded.js'
import { LABEL, type DockerCli } from './docker-cli.js'
import { prepareGeneratedContext } from './dockerfile.js'
import { imageTag } from './image-tag.js'
import type { ResolvedDockerOptions } from './options.js'

export interface BuiltImage {
  /** Image ID (`sha256:…`): the digest recorded in the registry and deployed on rollback. */
  id: string
  repository: string
  tag: string
  durationMs: number
}

/**
 * Build `<repository>:<tag>` from the project's Dockerfile or a generated one, with OCI labels
 * naming the model version, the model artifact's digest and the git revision.
 */
export async function buildImage(
  ctx: PhaseContext, docker: DockerCli, options: ResolvedDockerOptions, repository: string, version: string, record: ModelVersion | undefined,
): Promise<BuiltImage> {
  const tag = imageTag(version)
  const labels = await imageLabels(ctx, options, version, record)
  const buildArgs = { MODEL_VERSION: version, ...options.buildArgs }
  refuseSecrets(ctx, { ...prefix('buildArgs', buildArgs), ...prefix('labels', options.labels ?? {}), ...prefix('generate.env', options.generate?.env ?? {}) })

  const tmpRoot = join(ctx.stateDir, 'tmp')
  await mkdir(tmpRoot, { recursive: true })
  const scratch = await mkdtemp(join(tmpRoot, 'docker-build-'))
  let contextDir = options.contextDir
  let dockerfile: string
  try {
    if (options.generate) {
      contextDir = await prepareGeneratedContext(options.generate, ctx.cwd, scratch)
      dockerfile = join(contextDir, 'Dockerfile')
    } else {
      dockerfile = options.dockerfile ? resolve(ctx.cwd, options.dockerfile) : join(contextDir, 'Dockerfile')
      if (!existsSync(dockerfile)) {
        throw new MlciError(ErrorCode.NOT_FOUND, `Dockerfile not found: ${relative(ctx.cwd, dockerfile) || dockerfile}.`, {
          hint: 'Add a Dockerfile, set the docker plugin\'s `dockerfile` option, or use `generate: { base, copy, cmd }`.',
        })
      }
      warnIfStateInContext(ctx, contextDir)
    }
    const iidFile = join(scratch, 'iid')
    const argv = ['build', '--iidfile', iidFile, '--tag', `${repository}:${tag}`, '--file', dockerfile]
    for (const [key, value] of Object.entries(labels)) argv.push('--label', `${key}=${value}`)
    for (const [key, value] of Object.entries(buildArgs)) argv.push('--build-arg', `${key}=${value}`)
    argv.push(contextDir)
    const buildkit = options.buildkit === undefined ? (ctx.env.DOCKER_BUILDKIT ?? '0') : options.buildkit ? '1' : '0'
    const result = await runBounded(docker, 'build', argv, {
      env: { DOCKER_BUILDKIT: buildkit },
      onLine: (line) => {
        const step = /^Step (\d+)\/(\d+)/.exec(line)
        if (step) ctx.log.progress(Number(step[1]) / Number(step[2]), `build ${step[1]}/${step[2]}`)
      },
    }, options.stepTimeouts, `the Docker engine to build ${repository}:${tag}${options.baseImage ? ` from ${options.baseImage}` : ''}`)
    const id = (await readFile(iidFile, 'utf8')).trim()
    return { id, repository, tag, durationMs: result.durationMs }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

async function imageLabels(ctx: PhaseContext, options: ResolvedDockerOptions, version: string, record: ModelVersion | undefined): Promise<Record<string, string>> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': options.image,
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.created': new Date().toISOString(),
    [LABEL.name]: options.name,
    [LABEL.version]: version,
  }
  const revision = record?.git?.commit ?? (await gitRevision(ctx))
  if (revision) labels['org.opencontainers.image.revision'] = revision
  const model = modelArtifact(record, options.modelArtifact)
  if (model) labels[LABEL.modelDigest] = model.digest
  return { ...labels, ...options.labels }
}

async function gitRevision(ctx: PhaseContext): Promise<string | undefined> {
  try {
    const result = await ctx.exec(['git', 'rev-parse', '--verify', '--quiet', 'HEAD'], { reject: false, quiet: true, timeoutMs: 10_000 })
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined
  } catch {
    return undefined // no git on PATH
  }
}

/** The artifact whose digest identifies the model: the configured path, else the first `*model*`, else the first. */
function modelArtifact(record: ModelVersion | undefined, path: string | undefined) {
  const artifacts = record?.artifacts ?? []
  if (path) return artifacts.find((a) => a.path === path || a.path.endsWith(`/${path}`))
  return artifacts.find((a) => /model/i.test(a.path.split('/').pop()!)) ?? artifacts[0]
}

function prefix(name: string, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${name}.${k}`, v]))
}

/** A value that the run's redactor masks is a secret: it must not be baked into the image. */
/** Build args, labels and image ENV holding a secret value (checked at verify, before test and train, and again at build). */
export function refuseSecretValues(ctx: RunContext, options: ResolvedDockerOptions): void {
  refuseSecrets(ctx, { ...prefix('buildArgs', options.buildArgs ?? {}), ...prefix('labels', options.labels ?? {}), ...prefix('generate.env', options.generate?.env ?? {}) })
}

function refuseSecrets(ctx: RunContext, values: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value && ctx.redact(value) !== value) {
      throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Docker ${key} contains a secret value (it would be readable in \`docker history\`).`, {
        hint: 'Pass secrets to the container at run time with `passEnv: ["NAME"]`, never as build args, labels or image ENV.',
      })
    }
  }
}

function warnIfStateInContext(ctx: PhaseContext, contextDir: string): void {
  if (!existsSync(join(contextDir, '.mlci'))) return
  const ignore = join(contextDir, '.dockerignore')
  if (existsSync(ignore) && /^\/?\.mlci\/?$/m.test(readFileSync(ignore, 'utf8'))) return
  ctx.log.warn('The Docker build context contains .mlci/ (mlci state): add ".mlci" to .dockerignore to keep it out of builds.')
}
