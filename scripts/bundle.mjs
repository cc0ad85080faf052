// Bundle @mlci/core and the CLI into a few ES modules (after `tsc -b` has type-checked and
// emitted .d.ts files). Startup is dominated by resolving and parsing hundreds of small files:
// one bundle with lazily loaded chunks roughly halves the time to a finished no-op build.
// Plugins and configs import '@mlci/core' and get the same bundle the CLI uses (one instance).
import * as esbuild from 'esbuild'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// Bundled CommonJS dependencies call require(); give ESM output a real one.
const banner = "import { createRequire as __mlciRequire } from 'node:module'; const require = __mlciRequire(import.meta.url);"
// Native addons and esbuild itself (a binary) stay in node_modules.
// typescript: cosmiconfig's own TS loader would pull in the whole compiler; mlci never uses it.
const native = ['esbuild', '@node-rs/xxhash', 'typescript']

const plugins = readdirSync(join(root, 'plugins')).filter((name) => existsSync(join(root, 'plugins', name, 'src/index.ts')))
const targets = [
  // package-version: its own small entry, so `mlci --version` reads the version without core.
  // Core itself is the CommonJS bundle below (bundleCore), loaded from V8's code cache.
  { pkg: 'packages/core', entry: ['src/package-version.ts'], external: native },
  // entry.ts answers --help/--version alone and imports main.ts for every command; it keeps
  // the name main.js (the bin and package.json point there). The default report plugin stays
  // its own package (one copy, whether added by default or listed).
  { pkg: 'packages/cli', entry: [{ in: 'src/entry.ts', out: 'main' }], external: [...native, '@mlci/core', '@mlci/plugin-report'] },
  // First-party plugins share the one @mlci/core the CLI loaded.
  // A plugin package may have a light src/plugins.ts entry besides index.ts (the report plugin:
  // its factories without the renderers, for the CLI's default plugins).
  ...plugins.map((name) => ({
    pkg: `plugins/${name}`,
    entry: ['src/index.ts', 'src/plugins.ts'].filter((f) => existsSync(join(root, 'plugins', name, f))),
    external: [...native, '@mlci/core'],
  })),
]

for (const t of targets) {
  const outdir = join(root, t.pkg, 'dist/bundle')
  rmSync(outdir, { recursive: true, force: true })
  await esbuild.build({
    absWorkingDir: join(root, t.pkg),
    entryPoints: Array.isArray(t.entry) ? t.entry : [t.entry],
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

await bundleCore()
await writeCodeCache()

/**
 * @mlci/core as one CommonJS bundle (core.cjs) that core-loader.cjs (scripts/code-cache-loader.cjs)
 * runs with V8's code cache, behind an ES module facade (index.js) that re-exports its names:
 * configs, plugins and the CLI import '@mlci/core' as before and share the one instance.
 * Compiling core was ~a third of a no-op build; with the cache V8 deserializes bytecode instead.
 * Lazily loaded parts (S3, PostgreSQL, cosmiconfig, semver) are inside too, wrapped so they run
 * only when first required; their code is compiled only then.
 */
async function bundleCore() {
  const outdir = join(root, 'packages/core/dist/bundle')
  await esbuild.build({
    absWorkingDir: join(root, 'packages/core'),
    entryPoints: ['src/index.ts'],
    outfile: join(outdir, 'core.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Packages core loads lazily (S3, PostgreSQL, cosmiconfig for non-module configs, semver for
    // rare ranges) stay in node_modules and are required when first used: inside the bundle
    // they made it 2.4 MB, and reading and checking that costs every start more than their
    // one-off load costs the runs that use them.
    external: [...native, '@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'pg', 'cosmiconfig', 'semver'],
    // import.meta does not exist in CommonJS: the bundle's own URL stands in (same folder as index.js).
    define: { 'import.meta.url': '__mlciModuleUrl' },
    // The other import() calls load Node built-ins and CommonJS packages (esbuild, pg, the AWS
    // SDK): require() them, since code compiled by node:vm cannot call import() on Node 20.
    supported: { 'dynamic-import': false },
    banner: { js: 'var __mlciModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [{
      // Code compiled by node:vm cannot call import() on Node 20: plugins and configs are imported
      // from a small CommonJS module Node loads itself (src/dynamic-import.ts says the same).
      name: 'dynamic-import-outside',
      setup(build) {
        build.onResolve({ filter: /\/dynamic-import\.js$/ }, () => ({ path: './dynamic-import.cjs', external: true }))
      },
    }],
    sourcemap: 'linked',
    keepNames: true,
    logLevel: 'warning',
  })
  writeFileSync(join(outdir, 'dynamic-import.cjs'), "'use strict'\n// See packages/core/src/dynamic-import.ts.\nexports.importModule = (url) => import(url)\n")
  copyFileSync(join(root, 'scripts/code-cache-loader.cjs'), join(outdir, 'core-loader.cjs'))
  const names = Object.keys(createRequire(import.meta.url)(join(outdir, 'core.cjs'))).filter((n) => n !== 'default' && n !== '__esModule')
  writeFileSync(join(outdir, 'index.js'), [
    '// @mlci/core: the CommonJS bundle core.cjs, loaded with V8\'s code cache (see core-loader.cjs).',
    "import { createRequire } from 'node:module'",
    "const core = createRequire(import.meta.url)('./core-loader.cjs')",
    `export const { ${names.join(', ')} } = core`,
    '',
  ].join('\n'))
}

/**
 * The code cache: a no-op `mlci build` of a small TS-config project, run twice (the first compiles
 * the config), the second writing core.cjs.cache at its exit with the bytecode of every function
 * it ran. Without the file (or with one V8 rejects) core still loads, only slower.
 */
async function writeCodeCache() {
  const bundle = join(root, 'packages/core/dist/bundle/core.cjs')
  const dir = join(root, 'node_modules/.cache/mlci-code-cache-warmup')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'mlci.config.ts'), [
    "import { definePlugin } from '@mlci/core'",
    "const check = definePlugin(() => ({ name: 'warmup', apply(mlci) { mlci.hooks.verify.tapPromise('warmup', async () => {}) } }))",
    'export default { plugins: [check()] }',
    '',
  ].join('\n'))
  const cli = join(root, 'packages/cli/bin/mlci.js')
  const env = { ...process.env, NO_COLOR: '1', CI: '1' }
  for (const write of [false, true]) {
    const r = spawnSync(process.execPath, [cli, 'build'], { cwd: dir, encoding: 'utf8', env: write ? { ...env, MLCI_WRITE_CODE_CACHE: bundle } : env })
    if (r.status !== 0) {
      // Not fatal: without the cache mlci is correct, only slower to start. Say so loudly.
      console.warn(`warning: no V8 code cache for @mlci/core: the warm-up build failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`)
      break
    }
  }
  rmSync(dir, { recursive: true, force: true })
}
