import { ErrorCode, MlciError, validateOptions, type Shape } from '@mlci/core'

export const NAME = '@mlci/plugin-local'

/**
 * 8731: an unusual port so the default deployment does not collide with the 8000/8080 dev
 * servers people already run. Set `port` to serve elsewhere.
 */
export const DEFAULT_PORT = 8731

/** The fixture-style Python model server; any argv with the same placeholders works. */
export const DEFAULT_COMMAND = ['python3', 'serve.py', '--model', '{model}', '--host', '{host}', '--port', '{port}', '--model-version', '{version}']

export interface LocalUserOptions {
  /** Server argv. Placeholders: {model} (restored model file), {port}, {host}, {version}, {dir} (the version's folder). */
  command?: string[]
  /** Which recorded artifact is {model} (default: the only one, or the one named model*). */
  artifact?: string
  /** Interface the server binds ({host}; default `127.0.0.1`). */
  host?: string
  /** Port the server listens on ({port}; default 8731). */
  port?: number
  /** Folder the server runs in, relative to the project root (default: the root). */
  cwd?: string
  /** Extra environment for the server (kept per version, so a rollback restarts with the old one). */
  env?: Record<string, string>
  /** How a new server is proven healthy before it takes over. */
  health?: {
    /** Path polled with GET (default `/health`). */
    path?: string
    /** Milliseconds between polls (default 100). */
    intervalMs?: number
    /** Milliseconds until an unhealthy server fails the deploy (default 30000). */
    timeoutMs?: number
    /** Consecutive 2xx answers needed (default 3). */
    successes?: number
  }
  /** Grace period between SIGTERM and SIGKILL when stopping a server (ms). */
  stopTimeoutMs?: number
  /** Version folders (restored artifacts, logs) kept under .mlci/deploy/local. */
  keep?: number
  /**
   * Server files released with each version (relative to `cwd`); default: the files the command
   * names (serve.py). A change makes a new version; a rollback runs the kept copies.
   */
  serverFiles?: string[]
}

export interface LocalOptions {
  command: string[]
  artifact?: string
  host: string
  port: number
  cwd?: string
  env: Record<string, string>
  health: { path: string; intervalMs: number; timeoutMs: number; successes: number }
  stopTimeoutMs: number
  keep: number
  serverFiles?: string[]
}

export const OPTIONS_SHAPE: Shape = {
  command: 'string[]',
  artifact: 'string',
  host: 'string',
  port: 'integer',
  cwd: 'string',
  env: { record: 'string' },
  // Durations and counts have ranges: a negative timeout would give up before starting.
  health: { shape: { path: 'string', intervalMs: { min: 1, integer: true }, timeoutMs: { min: 1, integer: true }, successes: { min: 1, integer: true } } },
  stopTimeoutMs: { min: 0, integer: true },
  keep: 'integer',
  serverFiles: 'string[]',
}

/** Validate eagerly (exit 2 before anything runs) and fill defaults. */
export function resolveOptions(input: LocalUserOptions | undefined): LocalOptions {
  const o = validateOptions<LocalUserOptions>(NAME, input, OPTIONS_SHAPE)
  const problems: string[] = []
  if (o.command && !o.command.length) problems.push('command must not be empty')
  if (o.port !== undefined && (o.port < 1 || o.port > 65535)) problems.push(`port must be 1–65535, got ${o.port}`)
  if (o.health?.path !== undefined && !o.health.path.startsWith('/')) problems.push(`health.path must start with "/", got "${o.health.path}"`)
  if (o.health?.successes !== undefined && o.health.successes < 1) problems.push('health.successes must be at least 1')
  if (o.keep !== undefined && o.keep < 2) problems.push('keep must be at least 2 (the live and the previous version)')
  if (problems.length) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Invalid option for ${NAME}: ${problems.join('; ')}.`, {
      hint: `Fix the ${NAME} options in your mlci config.`, plugin: NAME,
    })
  }
  return {
    command: o.command ?? DEFAULT_COMMAND,
    artifact: o.artifact,
    host: o.host ?? '127.0.0.1',
    port: o.port ?? DEFAULT_PORT,
    cwd: o.cwd,
    env: o.env ?? {},
    health: {
      path: o.health?.path ?? '/health',
      intervalMs: o.health?.intervalMs ?? 100,
      timeoutMs: o.health?.timeoutMs ?? 30_000,
      successes: o.health?.successes ?? 3,
    },
    stopTimeoutMs: o.stopTimeoutMs ?? 5000,
    keep: o.keep ?? 5,
    serverFiles: o.serverFiles,
  }
}
