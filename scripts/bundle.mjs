// Bundle @mlci/core, the CLI and the first-party plugins (after `tsc -b` has type-checked and
// emitted .d.ts files). Startup is dominated by loading modules: core and the CLI are each one
// CommonJS bundle run from V8's code cache, plugins ES module bundles with lazily loaded chunks.
// Plugins and configs import '@mlci/core' and get the same bundle the CLI uses (one instance).
import * as esbuild from 'esbuild'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// Bundled CommonJS dependencies call require(); give ESM output a real one.
const banner = "import { createRequire as __mlciRequire } from 'node:module'; const require = __mlciRequire(import.meta.url);"
// Native addons and esbuild itself (a binary) stay in node_modules.
// typescript: cosmiconfig's own TS loader would pull in the whole compiler; mlci never uses it.
const native = ['esbuild', '@node-rs/xxhash', 'typescript']

// The options of every CommonJS bundle. import.meta does not exist in CommonJS: a bundle's own
// URL stands in (it sits in the folder its ES module bundle would).
// Class and function names stay what the source says (error names, tapable hook types).
const commonJs = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': '__mlciModuleUrl' },
  banner: { js: 'var __mlciModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  keepNames: true,
  logLevel: 'warning',
}

// Built-ins a no-op build never uses, whose loading is a measurable part of its start
// (node:fs/promises alone pulls in readline, fs watchers and the Dir API: ~11 M instructions;
// node:crypto ~20 modules, ~14 M; against ~125 M for all of a no-op build over `node -e 0`).
// Inside the CommonJS bundles each becomes a module whose functions require the real one on
// their first call; esbuild keeps only the names a bundle imports. A wrapper cannot stand for a
// class (`new`, `extends`, `instanceof`: capitalised names) nor carry util.promisify.custom:
// those, and values that are not functions, are read when the bundle starts, if it uses them.
const LAZY_BUILTINS = ['fs/promises', 'timers/promises', 'crypto']
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.map((b) => b.replace('/', '\\/')).join('|')})$`)
    build.onResolve({ filter }, (args) => args.namespace === 'lazy-builtin'
      ? { path: args.path, external: true } // the wrappers' own require of the real module
      : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' })
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const id = JSON.stringify(`node:${args.path}`)
      const real = createRequire(import.meta.url)(`node:${args.path}`)
      const names = Object.keys(real).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n))
      return {
        loader: 'js',
        contents: [
          `let loaded; const load = () => (loaded ??= require(${id}))`,
          ...names.map((n) => typeof real[n] === 'function' && /^[a-z]/.test(n) && !real[n][promisify.custom]
            ? `export function ${n}() { return load().${n}.apply(this, arguments) }`
            : `export const ${n} = /* @__PURE__ */ (() => load().${n})()`),
          `export default /* @__PURE__ */ (() => load())()`,
          '',
        ].join('\n'),
      }
    })
  },
}

// The conventions a CommonJS file standing for an ES module follows, shared with core's config
// compiler and loader: from core's compiled sources (`tsc -b` ran first).
const { NAMESPACE_FOOTER, REGISTER_RUNNING_CORE, withRunningCore } = await import('../packages/core/dist/commonjs-interop.js')

const plugins = readdirSync(join(root, 'plugins')).filter((name) => existsSync(join(root, 'plugins', name, 'src/index.ts')))

// The CLI and core are CommonJS bundles run from V8's code cache (bundleCommonJs), and each
// plugin entry has a CommonJS twin (index.cjs, and plugins.cjs for the report plugin's light
// entry, which the CLI adds by default): a build whose config compiles to CommonJS (load-config.ts)
// then never starts Node's ES module loader. What an entry imports lazily stays ES modules.
for (const pkg of ['packages/core', 'packages/cli', ...plugins.map((name) => `plugins/${name}`)]) {
  rmSync(join(root, pkg, 'dist/bundle'), { recursive: true, force: true })
}
const lazyEntries = {}
for (const name of plugins) {
  lazyEntries[name] = []
  for (const entry of ['index', 'plugins'].filter((e) => existsSync(join(root, 'plugins', name, `src/${e}.ts`)))) {
    lazyEntries[name].push(...await bundleCommonJsTwin(`plugins/${name}`, entry))
  }
}

const targets = [
  // package-version: its own small entry, so `mlci --version` reads the version without core.
  { pkg: 'packages/core', entry: ['src/package-version.ts'], external: native },
  // First-party plugins share the one @mlci/core the CLI loaded. The modules an entry imports
  // lazily are entries too: its CommonJS twin import()s them from here by name.
  ...plugins.map((name) => ({
    pkg: `plugins/${name}`,
    entry: [...new Set(['src/index.ts', 'src/plugins.ts'].filter((f) => existsSync(join(root, 'plugins', name, f))).concat(lazyEntries[name]))],
    external: [...native, '@mlci/core'],
  })),
]

for (const t of targets) {
  const outdir = join(root, t.pkg, 'dist/bundle')
  await esbuild.build({
    absWorkingDir: join(root, t.pkg),
    entryPoints: t.entry,
    outbase: 'src',
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: t.external,
    banner: { js: banner },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    // Class and function names stay what the source says (error names, tapable hook types).
    keepNames: true,
    logLevel: 'warning',
  })
}

// The small CommonJS module core import()s plugins and configs through (see below).
writeFileSync(join(root, 'packages/core/dist/bundle/dynamic-import.cjs'), "'use strict'\n// See packages/core/src/dynamic-import.ts.\nexports.importModule = (url) => import(url)\n")
// @mlci/core. Packages it loads lazily (S3, PostgreSQL, cosmiconfig for non-module configs,
// semver for rare ranges) stay in node_modules and are required when first used: inside the
// bundle they made it 2.4 MB, and reading and checking that costs every start more than their
// one-off load costs the runs that use them.
await bundleCommonJs({
  pkg: 'packages/core',
  name: 'core',
  entry: 'src/index.ts',
  external: [...native, '@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'pg', 'cosmiconfig', 'semver'],
  footer: REGISTER_RUNNING_CORE,
  // Code compiled by node:vm cannot call import() on Node 20: plugins and configs are imported
  // from a small CommonJS module Node loads itself (src/dynamic-import.ts says the same).
  plugins: [{
    name: 'dynamic-import-outside',
    setup(build) {
      build.onResolve({ filter: /\/dynamic-import\.js$/ }, () => ({ path: './dynamic-import.cjs', external: true }))
    },
  }],
})
// The CLI: `@mlci/core` and the report plugin are required from their packages (one instance
// each, shared with configs and plugins); everything else, listr2 and chokidar included, is inside.
// Its commands are bundled lazily: `mlci build` never evaluates `mlci init`'s modules.
await bundleCommonJs({
  pkg: 'packages/cli',
  name: 'cli',
  entry: 'src/entry.ts',
  external: [...native, '@mlci/core', '@mlci/plugin-report'],
  plugins: [{
    // `--help` reads the CLI's version with core's small helper: inside, not required (that
    // file is an ES module, and requiring it would start Node's ES module loader).
    name: 'package-version-inside',
    setup(build) {
      build.onResolve({ filter: /^@mlci\/core\/package-version$/ }, () => ({ path: join(root, 'packages/core/src/package-version.ts') }))
    },
  }],
  // Its two packages are required through package-require.cjs (read there why).
  banner: `${commonJs.banner.js}\nvar __mlciRequirePackage = (specifier) => require("./package-require.cjs").requirePackage(specifier, __dirname);`,
  requires: (specifier) => (specifier === '@mlci/core' || specifier === '@mlci/plugin-report/plugins' ? `__mlciRequirePackage("${specifier}")` : undefined),
})
copyFileSync(join(root, 'scripts/package-require.cjs'), join(root, 'packages/cli/dist/bundle/package-require.cjs'))
await writeCodeCache()

/**
 * A package's CommonJS bundle `<name>.cjs`, which `<name>-loader.cjs` (scripts/code-cache-loader.cjs)
 * runs with V8's code cache, behind an ES module facade `index.js`/`main.js` that re-exports its
 * names. Compiling core was ~a third of a no-op build; with the cache V8 deserializes bytecode
 * instead. package.json sends `require` to the loader and `import` to the facade: both get the
 * loader's one module, so configs, plugins and the CLI share one instance.
 */
async function bundleCommonJs({ pkg, name, entry, external, plugins = [], banner = commonJs.banner.js, footer = '', requires }) {
  const outdir = join(root, pkg, 'dist/bundle')
  await esbuild.build({
    absWorkingDir: join(root, pkg),
    entryPoints: [entry],
    outfile: join(outdir, `${name}.cjs`),
    ...commonJs,
    banner: { js: banner },
    footer: { js: footer },
    external,
    // import() of a bundled module becomes a lazy require of its part of the bundle; of a package,
    // a require from node_modules (CommonJS, or an ES module without top-level await: Node ≥ 20.19).
    // Code compiled by node:vm cannot call import() on Node 20 anyway.
    supported: { 'dynamic-import': false },
    plugins: [lazyBuiltins, ...plugins],
  })
  rewrite(join(outdir, `${name}.cjs`), (text) => asciiOnly(requires ? replaceRequires(text, requires) : text))
  copyFileSync(join(root, 'scripts/code-cache-loader.cjs'), join(outdir, `${name}-loader.cjs`))
  const names = Object.keys(createRequire(import.meta.url)(join(outdir, `${name}.cjs`))).filter((n) => n !== 'default' && n !== '__esModule')
  const facade = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).main.replace(/^.*\//, '')
  writeFileSync(join(outdir, facade), [
    `// The CommonJS bundle ${name}.cjs, loaded with V8's code cache (see ${name}-loader.cjs).`,
    "import { createRequire } from 'node:module'",
    `const bundle = createRequire(import.meta.url)('./${name}-loader.cjs')`,
    `export const { ${names.join(', ')} } = bundle`,
    '',
  ].join('\n'))
}

/** Rewrite a bundle file in place (written only when `change` changed it). */
function rewrite(file, change) {
  const text = readFileSync(file, 'utf8')
  const out = change(text)
  if (out !== text) writeFileSync(file, out)
}

/**
 * A bundle's `require("<external package>")` calls (esbuild writes each exactly so), each
 * replaced by `replacement(specifier)`, or kept when that is undefined.
 */
function replaceRequires(text, replacement) {
  return text.replace(/\brequire\("([^"]+)"\)/g, (call, specifier) => replacement(specifier) ?? call)
}

/**
 * esbuild escapes non-ASCII characters in code but keeps them in the comments it keeps (and in
 * regular expression literals): escape those too, so the loader can read the bundle as a one-byte
 * string (latin1): decoding ~0.4 MB as UTF-8 into a two-byte string cost ~2× the read, and V8
 * scans a one-byte string faster. `\\uXXXX` means the same character in a comment, string or regex.
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A plugin entry as CommonJS (`dist/bundle/<entry>.cjs`, package.json `require`), for configs
 * compiled to CommonJS and the CLI. What it imports lazily stays an import(): of the ES module
 * bundle for its own modules (returned here, to be entry points there), of the installed package
 * for a dependency. The report plugin's renderers thus load, once, only for a run that reports.
 */
async function bundleCommonJsTwin(pkg, entry) {
  const lazy = new Set()
  const dependencies = Object.keys(JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).dependencies ?? {})
  await esbuild.build({
    absWorkingDir: join(root, pkg),
    entryPoints: [`src/${entry}.ts`],
    outfile: join(root, pkg, `dist/bundle/${entry}.cjs`),
    ...commonJs,
    external: [...native, '@mlci/core'],
    // What it exports is an ES module's namespace: tagged as one, so a CommonJS config and
    // loadModuleFile see its default export as `import` would (load-config.ts, core-resolution.ts).
    footer: { js: NAMESPACE_FOOTER },
    plugins: [lazyBuiltins, {
      name: 'lazy-stays-esm',
      setup(build) {
        build.onResolve({ filter: /.*/, namespace: 'file' }, (args) => {
          if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined
          if (!/^\.\.?\//.test(args.path)) {
            const name = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/')
            if (!dependencies.includes(name)) throw new Error(`${pkg}: import('${args.path}') needs "${name}" in dependencies (its CommonJS twin imports it from node_modules)`)
            return { path: args.path, external: true }
          }
          const fromSrc = relative(join(root, pkg, 'src'), join(args.resolveDir, args.path).replace(/\.js$/, '.ts'))
          lazy.add(`src/${fromSrc}`)
          return { path: `./${fromSrc.replace(/\.ts$/, '.js')}`, external: true }
        })
      },
    }],
  })
  rewrite(join(root, pkg, `dist/bundle/${entry}.cjs`), withRunningCore)
  return [...lazy]
}

/**
 * The code caches: V8 keeps the bytecode of every function a run compiled, so the warm-up runs
 * what builds run: a project whose config (TS) taps verify and declares a cached train phase
 * (inputs, outputs), built three times — the first compiles the config and trains, the second
 * is fully cached, the third (cached again) writes core.cjs.cache and cli.cjs.cache at its exit.
 * Functions it never ran (fingerprints, globs, restore on a cache hit) would otherwise be
 * compiled on every start. Without the caches (or with ones V8 rejects) mlci still works, only
 * slower to start.
 */
async function writeCodeCache() {
  const bundles = ['packages/core/dist/bundle/core.cjs', 'packages/cli/dist/bundle/cli.cjs'].map((b) => join(root, b))
  const dir = join(root, 'node_modules/.cache/mlci-code-cache-warmup')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'data'), { recursive: true })
  writeFileSync(join(dir, 'data/train.csv'), 'x,y\n1,2\n')
  writeFileSync(join(dir, 'params.txt'), 'lr=0.1\n')
  writeFileSync(join(dir, 'mlci.config.ts'), [
    "import { definePlugin } from '@mlci/core'",
    "import { mkdirSync, writeFileSync } from 'node:fs'",
    "const warmup = definePlugin(() => ({ name: 'warmup', version: '1.0.0', apply(mlci) {",
    "  mlci.hooks.verify.tapPromise('warmup', async () => {})",
    "  mlci.declare({ phase: 'train', inputs: ['data/**', '*.txt'], outputs: ['out/model.txt'] })",
    "  mlci.hooks.train.tapPromise('warmup', async (ctx) => {",
    "    mkdirSync(ctx.cwd + '/out', { recursive: true })",
    "    writeFileSync(ctx.cwd + '/out/model.txt', 'model')",
    '  })',
    '} }))',
    'export default { plugins: [warmup()] }',
    '',
  ].join('\n'))
  const cli = join(root, 'packages/cli/bin/mlci.js')
  const env = { ...process.env, NO_COLOR: '1', CI: '1' }
  for (const write of [false, false, true]) {
    const r = spawnSync(process.execPath, [cli, 'build'], { cwd: dir, encoding: 'utf8', env: write ? { ...env, MLCI_WRITE_CODE_CACHE: bundles.join(delimiter) } : env })
    if (r.status !== 0) {
      // Not fatal: without the cache mlci is correct, only slower to start. Say so loudly.
      console.warn(`warning: no V8 code cache for @mlci/core and the CLI: the warm-up build failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`)
      break
    }
  }
  rmSync(dir, { recursive: true, force: true })
}
