import { ErrorCode, MlciError } from '@mlci/core'
import type { DockerCli } from './docker-cli.js'

const DEFAULT_HOST = 'unix:///var/run/docker.sock'

/**
 * Fail with an actionable error unless a Docker engine answers. Called by verify (before any side
 * effect) and again at the start of deploy (`mlci rollback` runs no verify phase).
 */
export async function ensureEngine(docker: DockerCli, env: NodeJS.ProcessEnv): Promise<string> {
  const host = env.DOCKER_HOST || (env.DOCKER_CONTEXT ? `docker context "${env.DOCKER_CONTEXT}"` : DEFAULT_HOST)
  let result
  try {
    result = await docker.run(['version', '--format', '{{.Server.Version}}'], { reject: false, quiet: true, timeoutMs: 15_000 })
  } catch (error) {
    if (MlciError.is(error) && error.code === ErrorCode.EXEC_NOT_FOUND) {
      throw new MlciError(ErrorCode.VERIFY_FAILED, 'The docker CLI is not installed (no `docker` on PATH).', {
        hint: 'Install Docker (https://docs.docker.com/engine/install/), or use the local deployer (@mlci/plugin-local) instead of @mlci/plugin-docker.',
        cause: error,
      })
    }
    if (MlciError.is(error) && error.code === ErrorCode.TIMEOUT) {
      throw unreachable(host, 'no answer within 15 s', env)
    }
    throw error
  }
  const version = result.stdout.trim()
  if (result.exitCode !== 0 || !version) throw unreachable(host, lastLine(result.stderr || result.stdout), env)
  return version
}

function unreachable(host: string, reason: string, env: NodeJS.ProcessEnv): MlciError {
  const fix = env.DOCKER_HOST
    ? `DOCKER_HOST is set to "${env.DOCKER_HOST}": point it at a running engine or unset it to use ${DEFAULT_HOST}.`
    : 'Start the Docker daemon (e.g. `sudo systemctl start docker`; in the mlci repo: `bash .ci/services.sh`), or set DOCKER_HOST to a reachable engine.'
  return new MlciError(ErrorCode.VERIFY_FAILED, `Docker engine not reachable at ${host}: ${reason}`, {
    hint: `${fix} Nothing was built or deployed.`,
  })
}

/** The base image a build starts from must already be in the engine (no silent pull at deploy time). */
export async function ensureBaseImage(docker: DockerCli, image: string): Promise<void> {
  if (await docker.imageInspect(image)) return
  throw new MlciError(ErrorCode.VERIFY_FAILED, `Base image "${image}" is not in the Docker engine.`, {
    hint: `Pull or build it first (\`docker pull ${image}\`; in the mlci repo \`bash .ci/services.sh\` builds mlci-python:bookworm), or change the base image in the docker plugin options.`,
  })
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean)
  return lines[lines.length - 1] ?? 'no output'
}
