import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import ignoreModule from '@balena/dockerignore'
import { SECRET_NAME, sha256File, type Deployable, type PhaseContext } from '@mlci/core'
import type { DockerOptions, ResolvedDockerOptions } from './options.js'

// A CommonJS module whose types declare an ES default export: Node gives module.exports itself.
const dockerignore = ignoreModule as unknown as (typeof ignoreModule)['default']

/**
 * What this deployer deploys besides the model: the Dockerfile, the files of the build context
 * that Docker would send (the context minus `.dockerignore`; for `generate`, the `copy` entries)
 * and its own options. Computed in the version phase, so a change to any of them makes a new
 * version and a new image; an unchanged one makes none. The files are not kept in the content
 * store: each version's image pins its code, and a rollback runs that image by digest.
 */
export async function dockerDeployable(ctx: PhaseContext, options: ResolvedDockerOptions, given: DockerOptions, name: string): Promise<Deployable> {
  // The model's own files are versioned by the model fingerprint; hashing them again here
  // would only make a retrained model look like a server change too.
  const modelFiles = new Set((ctx.data.artifacts ?? []).map((a) => resolve(ctx.cwd, a.path)))
  const files = new Map<string, string>()
  const add = async (abs: string) => {
    if (modelFiles.has(abs) || files.has(abs)) return
    files.set(abs, (await sha256File(abs)).digest)
  }
  let what: string
  if (options.generate) {
    for (const entry of options.generate.copy) {
      for (const file of await walk(resolve(ctx.cwd, typeof entry === 'string' ? entry : entry.from))) await add(file)
    }
    what = `generated Dockerfile, ${plural(files.size, 'copied file')}`
  } else {
    const dockerfile = options.dockerfile ? resolve(ctx.cwd, options.dockerfile) : join(options.contextDir, 'Dockerfile')
    const text = existsSync(dockerfile) ? await readFile(dockerfile, 'utf8') : ''
    if (text) await add(dockerfile)
    const used = copySources(text)
    const inImage = used && used.includes('.') ? undefined : used && dockerignore({ ignorecase: false }).add(used)
    for (const file of await contextFiles(options.contextDir)) {
      if (!inImage || inImage.ignores(relative(options.contextDir, file).split(sep).join('/'))) await add(file)
    }
    what = `${relative(ctx.cwd, dockerfile) || 'Dockerfile'} + ${plural(Math.max(0, files.size - 1), 'context file')}`
  }
  const basis = { files: [...files].map(([abs, digest]) => [relative(ctx.cwd, abs), digest]).sort(), options: deployedOptions(given) }
  const fingerprint = `sha256:${createHash('sha256').update(JSON.stringify(basis)).digest('hex')}`
  return { by: name, fingerprint, summary: `${what}, options` }
}

/**
 * The options, as written, that shape the image or the container (defaults derived from the
 * checkout's folder name are left out: another runner's checkout folder is no server change). Health checks, pruning, stop grace,
 * command time bounds and the registry's credential env names are how it is run and watched,
 * not what is deployed: they make no new version. Secret env values are left out (the
 * fingerprint is stored): only that there is one.
 */
function deployedOptions(options: DockerOptions): Record<string, unknown> {
  const { health: _h, keepImages: _k, stopTimeout: _s, timeouts: _t, registry, env, ...rest } = options
  const maskedEnv = Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, SECRET_NAME.test(k) ? '(secret)' : v]))
  return { ...rest, env: maskedEnv, registry: registry?.url }
}

/**
 * The files Docker sends for this context: everything except what `.dockerignore` excludes
 * (Docker's own matching rules, via @balena/dockerignore). `.mlci/` (mlci's state) and `.git/`
 * never count: they change on every run or commit without changing the server.
 */
async function contextFiles(contextDir: string): Promise<string[]> {
  const ignoreFile = join(contextDir, '.dockerignore')
  const rules = existsSync(ignoreFile) ? (await readFile(ignoreFile, 'utf8')).split(/\r?\n/) : []
  const ig = dockerignore({ ignorecase: false }).add(['.mlci', '.git', ...rules])
  // Without "!" exceptions an excluded folder has nothing Docker would send: skip it whole.
  const exceptions = rules.some((r) => r.trim().startsWith('!'))
  const keep = (abs: string, isDir: boolean) => {
    const rel = relative(contextDir, abs).split(sep).join('/')
    if (rel === '.mlci' || rel === '.git') return false
    return !ig.ignores(rel) || (isDir && exceptions)
  }
  return (await walk(contextDir, keep)).filter((abs) => keep(abs, false))
}

/**
 * The context paths the Dockerfile's COPY and ADD instructions read (Docker's pattern syntax), so
 * a file Docker sends but no instruction copies (README, the mlci config) makes no new version.
 * Undefined when that cannot be known from the text (a variable or heredoc in a source): then
 * every file of the context counts. `--from` copies read another stage or image, not the context.
 */
export function copySources(dockerfile: string): string[] | undefined {
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/).filter((l) => !/^\s*#/.test(l))
  const sources: string[] = []
  for (const line of lines) {
    const m = /^\s*(COPY|ADD)\s+(.*)$/i.exec(line)
    if (!m) continue
    let args: string[]
    const rest = m[2].trim()
    const flags = rest.match(/^(?:--\S+\s+)*/)![0]
    if (/--from=/.test(flags)) continue
    const body = rest.slice(flags.length)
    if (body.startsWith('[')) {
      try {
        args = JSON.parse(body) as string[]
      } catch {
        return undefined
      }
    } else {
      args = body.split(/\s+/).filter(Boolean)
    }
    for (const source of args.slice(0, -1)) {
      if (/^(https?:\/\/|git@)/.test(source)) continue // ADD from the network
      if (source.includes('$') || source.startsWith('<<')) return undefined
      sources.push(source === './' ? '.' : source)
    }
  }
  return sources
}

/** Regular files under `path` (or `path` itself), sorted; symlinks are not followed. */
async function walk(path: string, keep: (abs: string, isDir: boolean) => boolean = () => true): Promise<string[]> {
  const s = await stat(path).catch(() => undefined)
  if (!s) return []
  if (s.isFile()) return [path]
  if (!s.isDirectory()) return []
  const out: string[] = []
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) {
      if (keep(child, true)) out.push(...(await walk(child, keep)))
    } else if (entry.isFile()) out.push(child)
  }
  return out
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
