import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { mkdir, readFile, stat } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { writeFileAtomic, writeJsonAtomic } from './atomic.js'
import { resolveConfig, type ResolvedConfig } from './config.js'
import { ErrorCode, MlciError, errorMessage } from './errors.js'
import { importWithCore, loadModuleFile, missingPackage } from './core-resolution.js'
import { NAMESPACE_FOOTER, withRunningCore } from './commonjs-interop.js'
import { findModuleConfigQuickly, isModuleConfig } from './config-search.js'
import { compiledConfigMapper } from './compiled-config-map.js'
import { collectingOptionProblems } from './plugin.js'

export const MODULE_NAME = 'mlci'
export const SEARCH_PLACES = [
  'package.json',
  'mlci.config.ts', 'mlci.config.mts', 'mlci.config.cts',
  'mlci.config.mjs', 'mlci.config.js', 'mlci.config.cjs',
  'mlci.config.json', 'mlci.config.yaml', 'mlci.config.yml',
  '.mlcirc', '.mlcirc.json', '.mlcirc.yaml', '.mlcirc.yml',
]

/**
 * How configs are compiled; a manifest written by another scheme is compiled again (an
 * upgrade of mlci must not load a compiled file by rules it was not written for).
 * 2: CommonJS tagged as an ES module namespace, `__toESM` with import semantics.
 * 3: and `@mlci/core` is the core running the config.
 */
const COMPILE_SCHEME = 3

interface CompiledManifest {
  scheme: number
  inputs: { path: string; mtimeMs: number; size: number }[]
  output: string
}

function cacheDirFor(configFile: string): string {
  const dir = dirname(configFile)
  // Beside node_modules when there is one (bare imports in the config resolve from there).
  return existsSync(join(dir, 'node_modules')) ? join(dir, 'node_modules', '.cache', 'mlci') : join(dir, '.mlci', 'config-cache')
}

// Synchronous: a stat or two on every start; a thread-pool round trip costs more than the call.
function fresh(manifest: CompiledManifest): boolean {
  for (const input of manifest.inputs) {
    const s = statSync(input.path, { throwIfNoEntry: false })
    if (!s || s.mtimeMs !== input.mtimeMs || s.size !== input.size) return false
  }
  return existsSync(manifest.output)
}

function readManifest(file: string): CompiledManifest | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CompiledManifest
  } catch {
    return undefined
  }
}

/**
 * Load a TypeScript config fast: bundle it (and its relative imports) with esbuild into a
 * CommonJS module (an ES module when it must be) once, keyed by the inputs' stat; later loads
 * only stat the inputs and load the cached module (cosmiconfig's own TS loader loads the
 * TypeScript compiler: ~0.9 s a run). Packages stay external and resolve from the config's
 * folder as usual.
 */
export async function loadTsConfigModule(configFile: string): Promise<unknown> {
  return (await loadTsConfig(configFile)).module
}

/**
 * The module, and `discard()` to remove what this load wrote to the cache: a config that then
 * fails (throws while loading, or fails validation) leaves the project as it found it. `keep()`,
 * once the config is valid, removes the compiled files this one replaced.
 */
async function loadTsConfig(configFile: string): Promise<{ module: unknown; discard: () => void; keep: () => void }> {
  const cacheDir = cacheDirFor(configFile)
  const manifestFile = join(cacheDir, `${basename(configFile)}.json`)
  let manifest = readManifest(manifestFile)
  const previous = manifest
  const written: string[] = []
  // Compile again for a manifest of another scheme, or one copied with the project (cp -r, a CI
  // cache), which names the other copy's files.
  if (manifest?.scheme !== COMPILE_SCHEME || !manifest.inputs.some((input) => input.path === configFile) || !fresh(manifest)) manifest = await compile(configFile, cacheDir, manifestFile, written, 'cjs')
  const discard = () => { for (const path of written.reverse()) rmSync(path, { recursive: true, force: true }) }
  const keep = () => { if (written.length) removeReplacedOutputs(cacheDir, configFile, [manifest!.output, previous?.output]) }
  try {
    try {
      return { module: await loadCompiledConfig(manifest.output), discard, keep }
    } catch (error) {
      if (!manifest.output.endsWith('.cjs') || !needsEsModule(error)) throw error
      // What CommonJS cannot carry is loaded as the ES module the config was written as (the
      // manifest remembers: the next start imports it at once).
      const commonJs = manifest.output
      manifest = await compile(configFile, cacheDir, manifestFile, written, 'esm')
      const module = await loadCompiledConfig(manifest.output)
      rmSync(commonJs, { force: true })
      return { module, discard, keep }
    }
  } catch (error) {
    // A throw in the compiled config (or a helper bundled into it) is reported at the line the
    // user wrote, through the compiled module's source map (read before discard() removes it).
    const reported = configLoadError(configFile, error, manifest.output)
    discard()
    throw reported
  }
}

/**
 * Each compile writes `<config>.<hash of the code>.cjs|mjs`; once a new one is in use, the older
 * ones (earlier edits, earlier compile schemes) go — all but `kept`: the new one, and the one
 * the manifest named before, which a build started a moment ago (another terminal, `mlci watch`)
 * may be about to load. Only this config's compiled files in its own cache folder, and never a
 * failure: it is tidying.
 */
function removeReplacedOutputs(cacheDir: string, configFile: string, kept: (string | undefined)[]): void {
  const prefix = `${basename(configFile)}.`
  try {
    for (const name of readdirSync(cacheDir)) {
      const path = join(cacheDir, name)
      if (!kept.includes(path) && name.startsWith(prefix) && /^[0-9a-f]{16}\.[cm]js$/.test(name.slice(prefix.length))) rmSync(path, { force: true })
    }
  } catch {
    // an unreadable cache folder: the next compile tries again
  }
}

/**
 * A compiled config is CommonJS when it can be: `require` needs no ES module loader, which
 * Node otherwise starts for this one import (~15 % of a no-op build's instructions), and the
 * packages it imports load either way (require() of an ES module, Node ≥ 20.19). Top-level
 * await cannot be CommonJS; esbuild says so when compiling, Node when a package has it.
 */
async function loadCompiledConfig(file: string): Promise<unknown> {
  const mod = await loadModuleFile(file)
  return mod.default ?? mod
}

/**
 * Why a CommonJS config must be an ES module after all: a package with top-level await, or a
 * package that is not installed where the config is (the ES module route then looks next to
 * mlci, core-resolution.ts, and names it when it is not there either).
 */
function needsEsModule(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined
  if (e?.code === 'ERR_REQUIRE_ASYNC_MODULE' || e?.code === 'ERR_REQUIRE_ESM') return true
  const missing = e?.code === 'MODULE_NOT_FOUND' ? /Cannot find module '([^']+)'/.exec(e.message ?? '')?.[1] : undefined
  // An ES module the config imports by path (required, Node ≥ 20.19) whose own import of a
  // package failed says so in the ES module loader's words.
  return (missing !== undefined && !missing.startsWith('.') && !missing.startsWith('/')) || missingPackage(error) !== undefined
}

/**
 * What esbuild says when the config cannot be CommonJS: top-level await (an error), or
 * import.meta beyond url/filename/dirname (replaced in keepLocations), e.g. import.meta.resolve,
 * which it would leave an empty object (a warning).
 */
function cannotBeCommonJs(messages: import('esbuild').Message[]): boolean {
  return messages.some((m) => /top-level await/i.test(m.text) || m.id === 'empty-import-meta')
}

/** Compile into the cache; `written` gets each path created (the first new folder, files). */
async function compile(configFile: string, cacheDir: string, manifestFile: string, written: string[], format: 'cjs' | 'esm'): Promise<CompiledManifest> {
  const esbuild = await import('esbuild')
  let result: import('esbuild').BuildResult<{ write: false; metafile: true }>
  try {
    result = await esbuild.build({
      entryPoints: [configFile],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format,
      target: 'node20',
      write: false,
      metafile: true,
      sourcemap: 'inline',
      // Absolute sources, so a stack through the cached module maps back to the project's files.
      sourceRoot: `${pathToFileURL(dirname(configFile)).href}/`,
      logLevel: 'silent',
      absWorkingDir: dirname(configFile),
      plugins: [keepLocations(format)],
      // CommonJS standing for an ES module: tagged as its namespace, so loadModuleFile takes its
      // exports as they are (as it does the first-party plugins' CommonJS twins).
      ...(format === 'cjs' ? { footer: { js: NAMESPACE_FOOTER } } : {}),
    })
  } catch (error) {
    const failure = error as { errors?: import('esbuild').Message[] }
    if (format === 'cjs' && cannotBeCommonJs(failure.errors ?? [])) return compile(configFile, cacheDir, manifestFile, written, 'esm')
    const first = failure.errors?.[0]
    if (first?.location) {
      const loc = first.location
      const file = resolve(dirname(configFile), loc.file)
      throw new MlciError(ErrorCode.CONFIG_SYNTAX, `${relative(process.cwd(), file) || file}:${loc.line}:${loc.column + 1}: ${first.text}`, {
        hint: `Fix the syntax error in ${relative(process.cwd(), file) || file}.`,
        details: loc.lineText ? `  ${loc.line} | ${loc.lineText}\n  ${' '.repeat(String(loc.line).length)} | ${' '.repeat(loc.column)}^` : undefined,
      })
    }
    throw new MlciError(ErrorCode.CONFIG_LOAD, `Could not compile ${configFile}: ${errorMessage(error)}`, { cause: error })
  }
  if (format === 'cjs' && cannotBeCommonJs(result.warnings)) return compile(configFile, cacheDir, manifestFile, written, 'esm')
  const code = format === 'cjs' ? withRunningCore(withImportSemantics(result.outputFiles[0].text)) : result.outputFiles[0].text
  const output = join(cacheDir, `${basename(configFile)}.${createHash('sha256').update(code).digest('hex').slice(0, 16)}.${format === 'cjs' ? 'cjs' : 'mjs'}`)
  const firstNewDir = await mkdir(cacheDir, { recursive: true })
  if (firstNewDir) written.push(firstNewDir)
  if (!existsSync(output)) {
    await writeFileAtomic(output, code, { durable: false })
    written.push(output)
  }
  const inputs = await Promise.all(Object.keys(result.metafile.inputs).map(async (p) => {
    const path = resolve(dirname(configFile), p)
    const s = await stat(path)
    return { path, mtimeMs: s.mtimeMs, size: s.size }
  }))
  const manifest: CompiledManifest = { scheme: COMPILE_SCHEME, inputs, output }
  await writeJsonAtomic(manifestFile, manifest, { durable: false })
  written.push(manifestFile) // a missing manifest only means the next load compiles again
  return manifest
}

/**
 * A CommonJS config gets what `import` gave the ES module it was written as. esbuild converts a
 * default or namespace import into `__toESM(require(x))`, which takes an ES module package's
 * namespace (what require() of an ES module returns) for a CommonJS `module.exports` and puts it
 * under `default` — a default-imported plugin would be its namespace. The namespace is used as
 * it is, and CommonJS modules get Node's own rule (`default` is `module.exports`, "node mode")
 * whatever the project's package.json says. (One line: the inline source map stays true.)
 */
function withImportSemantics(code: string): string {
  const helper = 'var __toESM = '
  if (!code.includes(helper)) return code
  return code.replace(helper, "var __toESM = (mod, isNodeMode, target) => mod?.[Symbol.toStringTag] === 'Module' ? mod : __esbuildToESM(mod, 1, target); var __esbuildToESM = ")
}

const RESOLVING = Symbol('mlci.resolving')

/**
 * Modules imported by path keep their own location, as packages do. A JavaScript module
 * (`./plugin/index.mjs`, a built plugin in a sibling folder) stays external: Node loads it from
 * where it is, so its `import.meta.url`, `../package.json` and relative imports work, and the
 * phase cache fingerprints its code (cache/plugin-code.ts). A TypeScript module must be
 * compiled, so it is bundled, with `import.meta.url`/`dirname`/`filename` replaced by its
 * original file's.
 */
function keepLocations(format: 'cjs' | 'esm'): import('esbuild').Plugin {
  return {
    name: 'mlci-keep-locations',
    setup(build) {
      build.onResolve({ filter: /^(\.{1,2}\/|\/|file:)/ }, async (args) => {
        if (args.pluginData === RESOLVING || args.kind === 'entry-point') return undefined
        const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, importer: args.importer, kind: args.kind, pluginData: RESOLVING })
        if (resolved.errors.length || !/\.[mc]?js$/.test(resolved.path)) return undefined
        // require() takes a path, import() a URL (a path with a drive letter is no URL on Windows).
        return { path: format === 'cjs' ? resolved.path : pathToFileURL(resolved.path).href, external: true }
      })
      build.onLoad({ filter: /\.[mc]?tsx?$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8')
        const url = pathToFileURL(args.path).href
        const contents = text
          .replaceAll('import.meta.url', JSON.stringify(url))
          .replaceAll('import.meta.filename', JSON.stringify(args.path))
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' }
      })
    },
  }
}

/**
 * The first `file:line:col` of the stack inside the config's folder (not node_modules, not mlci),
 * frames in the compiled config (`compiled`) mapped back to their source first.
 */
function thrownAt(error: unknown, configFile: string, compiled?: string): string | undefined {
  const stack = error instanceof Error ? error.stack ?? '' : ''
  const dir = dirname(configFile)
  const toSource = compiled ? compiledConfigMapper(compiled) : undefined
  for (const match of stack.matchAll(/(?:\(|at )((?:file:\/\/)?\/[^\s()]+?):(\d+):(\d+)\)?$/gm)) {
    let path = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1]
    let line = Number(match[2]), column = Number(match[3])
    if (toSource && path === compiled) ({ path, line, column } = toSource(line, column) ?? { path, line, column })
    if (path.startsWith(dir) && !path.includes(`${sep}node_modules${sep}`) && !path.includes(`${sep}.mlci${sep}`)) {
      return `${relative(process.cwd(), path) || path}:${line}:${column}`
    }
  }
  return undefined
}

function configLoadError(configFile: string, error: unknown, compiled?: string): MlciError {
  if (MlciError.is(error)) return error
  const shown = relative(process.cwd(), configFile) || configFile
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(errorMessage(error))?.[1]
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && missing) {
    // Node names the importer it saw (the cached bundle, or mlci's own core): the import is the config's.
    const name = missing.startsWith('.') || missing.startsWith('/') ? missing : missing.split('/').slice(0, missing.startsWith('@') ? 2 : 1).join('/')
    return new MlciError(ErrorCode.CONFIG_LOAD, `${shown} imports "${missing}", which cannot be found.`, {
      hint: missing.startsWith('.') || missing.startsWith('/')
        ? `Check the path of that import in ${shown} (or in a file it imports).`
        : `Install it next to the config (npm install -D ${name}) or fix the import in ${shown}.`,
      cause: error,
    })
  }
  const at = thrownAt(error, configFile, compiled)
  return new MlciError(ErrorCode.CONFIG_LOAD, `${at && !at.startsWith(`${shown}:`) ? `${at} (imported by ${shown})` : at ?? shown} threw while loading: ${errorMessage(error)}`, {
    hint: `Fix the error in ${at ?? shown} (the config module runs when mlci starts).`, cause: error,
  })
}

async function loadJsModule(file: string): Promise<unknown> {
  try {
    // A query string busts Node's module cache so watch mode sees edits.
    const s = statSync(file)
    const mod = (await importWithCore(`${pathToFileURL(file).href}?mtime=${s.mtimeMs}`)) as { default?: unknown }
    return mod.default ?? mod
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new MlciError(ErrorCode.CONFIG_SYNTAX, `${relative(process.cwd(), file) || file}: ${error.message}`, {
        hint: 'Fix the syntax error in the config file.',
      })
    }
    throw configLoadError(file, error)
  }
}

export interface LoadConfigOptions {
  /** Folder to search from (default process.cwd()). */
  cwd?: string
  /** Explicit config file (--config). */
  file?: string
}

const DEFERRED = Symbol('mlci.deferred-config-module')

/** cosmiconfig, for a search the quick look cannot answer (parent folders, JSON, YAML, package.json). */
async function configExplorer() {
  // A CommonJS package: its named export sits on `default` when bundled into ES modules.
  const mod = (await import('cosmiconfig')) as typeof import('cosmiconfig') & { default?: typeof import('cosmiconfig') }
  const cosmiconfigSync = mod.cosmiconfigSync ?? mod.default!.cosmiconfigSync
  // cosmiconfig finds the file (and reads JSON, YAML and package.json#mlci itself). Its sync
  // search avoids a thread-pool round trip per candidate file; modules (.ts/.js) are only marked
  // here and imported below by our async loaders.
  const deferred = (filepath: string) => ({ [DEFERRED]: filepath })
  return cosmiconfigSync(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'project',
    cache: false,
    loaders: { '.ts': deferred, '.mts': deferred, '.cts': deferred, '.mjs': deferred, '.js': deferred, '.cjs': deferred },
  })
}

/** Find (cosmiconfig) and load the config, then validate it and resolve its plugins. */
export function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  // Plugin factories called while the config loads report option problems instead of throwing the first.
  return collectingOptionProblems(() => load(options))
}

async function load(options: LoadConfigOptions): Promise<ResolvedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd())
  let discard: (() => void) | undefined
  let keep: (() => void) | undefined
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null
  try {
    const file = options.file && resolve(cwd, options.file)
    if (file && !existsSync(file)) {
      throw new MlciError(ErrorCode.CONFIG_NOT_FOUND, `Config file ${options.file} does not exist.`, { hint: 'Check the --config path.' })
    }
    // The common case (a module config right here) needs no cosmiconfig; everything else does.
    const quick = file ? (isModuleConfig(file) ? file : undefined) : findModuleConfigQuickly(cwd)
    if (quick) found = { config: { [DEFERRED]: quick }, filepath: quick }
    else {
      const explorer = await configExplorer()
      found = file ? explorer.load(file) : explorer.search(cwd)
    }
    const module = (found?.config as Record<symbol, string> | undefined)?.[DEFERRED]
    if (found && module && /\.[mc]?ts$/.test(module)) ({ module: found.config, discard, keep } = await loadTsConfig(module))
    else if (found && module) found.config = await loadJsModule(module)
  } catch (error) {
    if (MlciError.is(error)) throw error
    const file = (error as { filepath?: string }).filepath ?? options.file ?? cwd
    const message = errorMessage(error)
    throw new MlciError(/JSON|YAML|Unexpected|parse/i.test(message) ? ErrorCode.CONFIG_SYNTAX : ErrorCode.CONFIG_LOAD,
      `${relative(process.cwd(), file) || file}: ${message}`, { hint: 'Fix the config file.' })
  }
  if (!found) {
    throw new MlciError(ErrorCode.CONFIG_NOT_FOUND, `No mlci config found in ${cwd} or its parents.`, {
      hint: 'Create mlci.config.ts (run `mlci init`), or pass --config <file> / --cwd <dir>.',
    })
  }
  try {
    let raw = found.config
    if (typeof raw === 'function') raw = await (raw as () => unknown)()
    const resolved = await resolveConfig(raw ?? {}, found.filepath, dirname(found.filepath))
    keep?.()
    return resolved
  } catch (error) {
    discard?.()
    throw error
  }
}
