import { basename, resolve } from 'node:path'
import { ErrorCode, MlciError, SECRET_NAME, parseDuration, validateOptions, type Shape } from '@mlci/core'
import { DEFAULT_STEP_TIMEOUTS, STEPS, type DockerStep } from './bounded.js'

/** A file to copy into a generated image: `path` (to `/app/<path>`) or `{ from, to }`. */
export type CopyEntry = string | {
  /** Path in the project (relative to the build context). */
  from: string
  /** Path in the image (relative to `workdir`, or absolute). */
  to: string
}

export interface GenerateOptions {
  /** Base image, e.g. `python:3.12-slim` (must exist in the engine or be pullable). */
  base: string
  /** Files copied into the image: the model artifact and the server. */
  copy: CopyEntry[]
  /** The server command (exec form). */
  cmd: string[]
  /** Default `/app`. */
  workdir?: string
  /** Non-secret ENV lines baked into the image. */
  env?: Record<string, string>
}

export interface DockerOptions {
  /** Image repository, e.g. `classifier` or `ghcr.io/acme/classifier`. Default: the project folder's name. */
  image?: string
  /** Deployment name; the container is `mlci-<name>`. Default: the image's last path segment. */
  name?: string
  /** Container name (overrides `mlci-<name>`). */
  container?: string
  /** The project's Dockerfile (default `Dockerfile`); ignored when `generate` is set. */
  dockerfile?: string
  /** Build context (default: the project root). */
  context?: string
  /** Build args (never secrets: they end up in `docker history`). */
  buildArgs?: Record<string, string>
  /** Generate the Dockerfile instead of using the project's. */
  generate?: GenerateOptions
  /** Extra image labels. */
  labels?: Record<string, string>
  /** Path of the model artifact whose digest is put on the image (default: the first artifact named like `*model*`). */
  modelArtifact?: string
  /** Push to a registry; credentials are read from the named env vars. */
  registry?: {
    /** Registry host (and port), e.g. `127.0.0.1:5000` or `ghcr.io`; images are tagged `<url>/<image>`. */
    url: string
    /** Env var holding the user name, e.g. `REGISTRY_USER`. */
    usernameEnv: string
    /** Env var holding the password (sent on stdin to `docker login`, never in argv or logs), e.g. `REGISTRY_PASSWORD`. */
    passwordEnv: string
  }
  /** Port the server listens on inside the container (passed as env PORT). Default 8080. */
  port?: number
  /** Docker network (default `host`, or Docker's default when `ports` is set). */
  network?: string
  /** Published ports, `host:container` (not with the host network). */
  ports?: string[]
  /** Container env (literal values). */
  env?: Record<string, string>
  /** Env var names forwarded from mlci's environment (`-e NAME`: the value never appears in argv). */
  passEnv?: string[]
  /** Extra `docker run` arguments, e.g. `['--gpus', 'all']`. */
  runArgs?: string[]
  /** Restart policy (default `unless-stopped`). */
  restart?: string
  /** How a new container is proven healthy before it takes over. */
  health?: {
    /** Full URL to poll (default: `http://127.0.0.1:<port><path>`). */
    url?: string
    /** Path polled on the container's port (default `/health`). */
    path?: string
    /** Milliseconds between polls (default 200). */
    intervalMs?: number
    /** Milliseconds until an unhealthy container fails the deploy (default 30000). */
    timeoutMs?: number
    /** Consecutive 2xx answers needed (default 3). */
    successes?: number
  }
  /** Images of this deployment to keep (default 3); the live and previous versions' images are always kept. */
  keepImages?: number
  /** Seconds `docker stop` waits before SIGKILL (default 10). */
  stopTimeout?: number
  /**
   * Time bounds of the docker commands that can stall on the network or the engine (durations
   * such as '90s', '10m', or milliseconds). On timeout the command's process group is killed and
   * the deploy fails naming what it waited for. Defaults: build 30m, push 10m, pull 10m, login 1m.
   */
  timeouts?: {
    /** `docker build` (default 30m). */
    build?: string | number
    /** `docker push` to the registry (default 10m). */
    push?: string | number
    /** `docker pull` of a rollback target from the registry (default 10m). */
    pull?: string | number
    /** `docker login` to the registry (default 1m). */
    login?: string | number
  }
  /** Use BuildKit (default: the legacy builder, unless DOCKER_BUILDKIT is set), which needs no buildx plugin. */
  buildkit?: boolean
}

const STRINGS: Shape[string] = { record: 'string' }

export const OPTIONS_SHAPE: Shape = {
  image: 'string', name: 'string', container: 'string', dockerfile: 'string', context: 'string',
  buildArgs: STRINGS, labels: STRINGS, modelArtifact: 'string',
  generate: {
    shape: {
      base: 'string', cmd: 'string[]', workdir: 'string', env: STRINGS,
      copy: { array: ['string', { shape: { from: 'string', to: 'string' }, required: ['from', 'to'] }] },
    },
    required: ['base', 'copy', 'cmd'],
  },
  registry: { shape: { url: 'string', usernameEnv: 'string', passwordEnv: 'string' }, required: ['url', 'usernameEnv', 'passwordEnv'] },
  port: 'integer', network: 'string', ports: 'string[]', env: STRINGS, passEnv: 'string[]', runArgs: 'string[]',
  restart: 'string',
  health: { shape: { url: 'string', path: 'string', intervalMs: 'number', timeoutMs: 'number', successes: 'integer' } },
  keepImages: 'integer', stopTimeout: 'integer', buildkit: 'boolean',
  timeouts: { shape: Object.fromEntries(STEPS.map((step) => [step, ['string', 'number']])) },
}

// Docker's reference grammar, simplified: optional registry host[:port], lowercase path components.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const REPOSITORY = new RegExp(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*$`)
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
const PORT_MAPPING = /^(?:[0-9.]+:)?(\d+):(\d+)(?:\/(tcp|udp))?$/

export function validateDockerOptions(name: string, raw: unknown): DockerOptions {
  const options = validateOptions<DockerOptions>(name, raw, OPTIONS_SHAPE)
  const bad = (key: string, message: string, hint: string): never => {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Invalid option: ${name}.${key} ${message}.`, { hint, plugin: name })
  }
  if (options.image !== undefined && !REPOSITORY.test(options.image)) {
    bad('image', `"${options.image}" is not a valid image repository`, 'Use lowercase letters, digits, ".", "_", "-" and "/", e.g. "acme/classifier" (no tag: mlci tags with the version).')
  }
  for (const key of ['name', 'container'] as const) {
    const value = options[key]
    if (value !== undefined && !CONTAINER_NAME.test(value)) bad(key, `"${value}" is not a valid container name`, 'Use letters, digits, "_", "." and "-".')
  }
  for (const mapping of options.ports ?? []) {
    if (!PORT_MAPPING.test(mapping)) bad('ports', `entry "${mapping}" is not "host:container"`, 'Write ports: ["8080:8080"].')
  }
  if (options.ports?.length && options.network === 'host') {
    bad('ports', 'cannot be used with network "host"', 'On the host network the server listens on `port` directly: remove `ports`, or set another network.')
  }
  for (const key of ['port', 'keepImages', 'stopTimeout'] as const) {
    const value = options[key]
    if (value !== undefined && value < (key === 'stopTimeout' ? 0 : 1)) bad(key, `must be ${key === 'stopTimeout' ? '≥ 0' : '≥ 1'}, got ${value}`, `Set ${key} to a positive integer.`)
  }
  // Build args, labels and image ENV are visible in `docker history`/`docker inspect` to anyone who
  // can pull the image: refuse anything named like a secret (values are checked at run time).
  for (const [key, record] of [['buildArgs', options.buildArgs], ['labels', options.labels], ['generate.env', options.generate?.env]] as const) {
    for (const entry of Object.keys(record ?? {})) {
      if (SECRET_NAME.test(entry)) {
        bad(`${key}.${entry}`, 'looks like a secret', 'Build args, labels and image ENV are stored in the image for anyone to read. Pass secrets at run time with `passEnv` instead.')
      }
    }
  }
  // Everything rendered into the generated Dockerfile as text: a newline would start an instruction.
  const g = options.generate
  const rendered: [string, string | undefined][] = g ? [
    ['generate.base', g.base], ['generate.workdir', g.workdir],
    ...Object.keys(g.env ?? {}).map((k): [string, string] => [`generate.env key ${JSON.stringify(k)}`, k]),
    ...(g.copy ?? []).flatMap((e, i): [string, string][] => (typeof e === 'string' ? [[`generate.copy[${i}]`, e]] : [[`generate.copy[${i}].from`, e.from], [`generate.copy[${i}].to`, e.to]])),
  ] : []
  for (const [key, value] of rendered) {
    if (typeof value === 'string' && /[\u0000-\u001f\u007f]/.test(value)) {
      bad(key, `contains a control character (${JSON.stringify(value)})`, 'A newline or other control character would inject Dockerfile instructions: remove it.')
    }
  }
  for (const key of Object.keys(g?.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) bad(`generate.env key ${JSON.stringify(key)}`, 'is not an environment variable name', 'Use letters, digits and "_", not starting with a digit.')
  }
  for (const [step, value] of Object.entries(options.timeouts ?? {})) {
    let ms: number | undefined
    try {
      ms = parseDuration(value, `timeouts.${step}`)
    } catch (error) {
      bad(`timeouts.${step}`, `is invalid: ${(error as Error).message}`, `Write a duration such as timeouts: { ${step}: '${DEFAULT_STEP_TIMEOUTS[step as DockerStep] / 60_000}m' }.`)
    }
    if (ms === 0) bad(`timeouts.${step}`, 'must be longer than 0', `A docker ${step} without a bound can hold the release lock for ever: give it a duration such as '${DEFAULT_STEP_TIMEOUTS[step as DockerStep] / 60_000}m'.`)
  }
  if (options.generate && options.dockerfile) bad('dockerfile', 'cannot be combined with generate', 'Either use your Dockerfile or let mlci generate one.')
  return options
}

/** Options with defaults applied for one project. */
export interface ResolvedDockerOptions extends DockerOptions {
  image: string
  name: string
  container: string
  previousContainer: string
  /** Where a reused previous container waits while the current one moves aside. */
  stagingContainer: string
  contextDir: string
  port: number
  network?: string
  keepImages: number
  stopTimeout: number
  healthUrl: string
  /** The image the build starts from, when known (generate.base or the BASE build arg). */
  baseImage?: string
  /** `timeouts` in milliseconds, defaults applied. */
  stepTimeouts: Record<DockerStep, number>
}

export function resolveDockerOptions(options: DockerOptions, cwd: string): ResolvedDockerOptions {
  const image = options.image ?? (basename(cwd).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'model')
  const name = options.name ?? image.split('/').pop()!
  const container = options.container ?? `mlci-${name}`
  const port = options.port ?? 8080
  const network = options.network ?? (options.ports?.length ? undefined : 'host')
  return {
    ...options,
    image, name, container, port, network,
    previousContainer: `${container}-previous`,
    stagingContainer: `${container}-next`,
    contextDir: resolve(cwd, options.context ?? '.'),
    keepImages: options.keepImages ?? 3,
    stopTimeout: options.stopTimeout ?? 10,
    healthUrl: options.health?.url ?? `http://127.0.0.1:${hostPort(options.ports, port)}${options.health?.path ?? '/health'}`,
    baseImage: options.generate?.base ?? options.buildArgs?.BASE,
    stepTimeouts: Object.fromEntries(STEPS.map((step) => [step, options.timeouts?.[step] === undefined ? DEFAULT_STEP_TIMEOUTS[step] : parseDuration(options.timeouts[step])])) as Record<DockerStep, number>,
  }
}

/** The host port that reaches the server: the mapping of `port` if published, else `port` itself. */
function hostPort(ports: string[] | undefined, port: number): number {
  const parsed = (ports ?? []).map((p) => PORT_MAPPING.exec(p)!).map((m) => ({ host: Number(m[1]), container: Number(m[2]) }))
  return (parsed.find((p) => p.container === port) ?? parsed[0])?.host ?? port
}
