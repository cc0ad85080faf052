import { rm } from 'node:fs/promises'
import { createDockerConfig, removeLeftoverConfigs } from './docker-config.js'
import { ErrorCode, MlciError, type RunContext } from '@mlci/core'
import { runBounded, type DockerStep } from './bounded.js'
import type { DockerCli } from './docker-cli.js'
import type { DockerOptions } from './options.js'

type RegistryOptions = NonNullable<DockerOptions['registry']>
/** Env for docker commands that talk to the registry (a temporary DOCKER_CONFIG holding the login). */
export type RegistryEnv = { DOCKER_CONFIG: string; DOCKER_HOST?: string }

/** Read the credentials from the named env vars, or explain which one is missing. */
export function registryCredentials(ctx: RunContext, registry: RegistryOptions): { username: string; password: string } {
  const username = ctx.env[registry.usernameEnv]
  const password = ctx.env[registry.passwordEnv]
  const missing = [!username && registry.usernameEnv, !password && registry.passwordEnv].filter(Boolean)
  if (missing.length) {
    throw new MlciError(ErrorCode.VERIFY_FAILED, `Registry credentials for ${registry.url} are missing: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set.`, {
      hint: `Export ${missing.join(' and ')} (in CI, from the secret store), or remove \`registry\` from the docker plugin options to deploy without pushing.`,
    })
  }
  return { username: username!, password: password! }
}

/**
 * Run `fn` logged in to the registry. The password goes through stdin (`--password-stdin`), never
 * argv; `docker login` stores it in `$DOCKER_CONFIG/config.json`, so that folder is a private
 * temporary one, removed afterwards whatever happens.
 */
export async function withRegistryLogin<T>(
  ctx: RunContext, docker: DockerCli, registry: RegistryOptions, addSecret: (secret: string) => void,
  limits: Record<DockerStep, number>, fn: (env: RegistryEnv) => Promise<T>,
): Promise<T> {
  const { username, password } = registryCredentials(ctx, registry)
  // The env var's name may not look secret (e.g. REGISTRY_PASS): mask its value everywhere anyway.
  addSecret(password)
  // A fresh DOCKER_CONFIG also drops the user's current `docker context`: pin the engine first.
  const engine = ctx.env.DOCKER_HOST ? undefined : await currentEngine(docker)
  await removeLeftoverConfigs(ctx.log)
  const dir = await createDockerConfig()
  try {
    const env = { DOCKER_CONFIG: dir, ...(engine ? { DOCKER_HOST: engine } : {}) }
    const login = await runBounded(docker, 'login', ['login', registry.url, '--username', username, '--password-stdin'], {
      input: password, env, reject: false, quiet: true,
    }, limits, `the registry ${registry.url} to answer the login`)
    if (login.exitCode !== 0) {
      const output = (login.stderr + login.stdout).trim()
      const denied = /401|unauthorized|denied|incorrect/i.test(output)
      throw new MlciError(ErrorCode.PUSH_FAILED, `Login to registry ${registry.url} as "${username}" failed${denied ? ': wrong username or password' : ''}.`, {
        hint: denied
          ? `Check the values of ${registry.usernameEnv} and ${registry.passwordEnv}. Nothing was pushed or deployed.`
          : `Check that ${registry.url} is reachable (\`curl -i ${registry.url.includes('://') ? registry.url : `http://${registry.url}`}/v2/\`). Nothing was pushed or deployed.`,
        details: ctx.redact(output),
      })
    }
    return await fn(env)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function currentEngine(docker: DockerCli): Promise<string | undefined> {
  const result = await docker.run(['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], { reject: false, quiet: true, timeoutMs: 15_000 })
  return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined
}

/** Push `ref` and return its pullable reference by digest (`repo@sha256:…`). */
export async function pushImage(ctx: RunContext, docker: DockerCli, repository: string, tag: string, env: RegistryEnv, limits: Record<DockerStep, number>): Promise<string> {
  const host = repository.split('/')[0]
  const result = await runBounded(docker, 'push', ['push', `${repository}:${tag}`], { env, reject: false, quiet: true }, limits, `the registry ${host} to accept ${repository}:${tag}`)
  if (result.exitCode !== 0) {
    throw new MlciError(ErrorCode.PUSH_FAILED, `Pushing ${repository}:${tag} failed.`, {
      hint: 'Check that the registry accepts pushes for this repository and has space. The running version was not changed.',
      details: ctx.redact((result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n')),
    })
  }
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(result.stdout)?.[1]
  const inspected = await docker.imageInspect(`${repository}:${tag}`)
  const byDigest = inspected?.repoDigests.find((d) => d.startsWith(`${repository}@`))
  if (byDigest) return byDigest
  if (digest) return `${repository}@${digest}`
  throw new MlciError(ErrorCode.PUSH_FAILED, `Pushed ${repository}:${tag}, but the engine reports no registry digest for it.`, {
    hint: 'Run `docker image inspect` on the tag to see its RepoDigests.',
  })
}
