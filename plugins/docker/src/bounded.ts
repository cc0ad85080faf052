import { ErrorCode, MlciError, formatLimit, type ExecOptions, type ExecResult } from '@mlci/core'
import type { DockerCli } from './docker-cli.js'

/** The docker commands that wait on the network or the engine for an unknown time. */
export type DockerStep = 'build' | 'push' | 'pull' | 'login'
export const STEPS: readonly DockerStep[] = ['build', 'push', 'pull', 'login']

/** Generous for a real build or a large image on a slow link; short enough that a stall ends. */
export const DEFAULT_STEP_TIMEOUTS: Readonly<Record<DockerStep, number>> = Object.freeze({
  build: 30 * 60_000,
  push: 10 * 60_000,
  pull: 10 * 60_000,
  login: 60_000,
})

/**
 * Run one docker command with its bound (`timeouts.<step>`). exec kills the command's whole
 * process group when the bound passes; this turns its generic timeout into one that says what
 * the command was waiting for (`waitingFor`: registry host and image, never credentials) and
 * which option changes the bound.
 */
export async function runBounded(
  docker: DockerCli, step: DockerStep, args: string[], options: ExecOptions, limits: Record<DockerStep, number>, waitingFor: string,
): Promise<ExecResult> {
  const limit = limits[step]
  try {
    return await docker.run(args, { ...options, timeoutMs: limit })
  } catch (error) {
    if (!MlciError.is(error) || error.code !== ErrorCode.TIMEOUT) throw error
    throw new MlciError(ErrorCode.TIMEOUT, `\`docker ${step}\` did not finish within ${formatLimit(limit)} (docker option timeouts.${step}): it was waiting for ${waitingFor}. The command was stopped.`, {
      hint: `Check that the registry or engine answers, or raise the bound in the docker plugin options: timeouts: { ${step}: '${formatLimit(limit * 2)}' } (now ${formatLimit(limit)}).`,
      cause: error,
    })
  }
}
