// Bundle @mlci/core and the CLI into a few ES modules (after `tsc -b` has type-checked and
// emitted .d.ts files). Startup is dominated by resolving and parsing hundreds of small files:
// one bundle with lazily loaded chunks roughly halves the time to a finished no-op build.
// Plugins and configs import '@mlci/core' and get the same bundle the CLI uses (one instance).
import * as esbuild from 'esbuild'
import { existsSync, readdirSync, rmSync } from 'node:fs'
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
  { pkg: 'packages/core', entry: ['src/index.ts', 'src/package-version.ts'], external: native },
  // entry.ts answers --help/--version alone and imports main.ts for every command; it keeps
  // the name main.js (the bin and package.json point there). The default report plugin stays
  // its own package (one copy, whether added by default or listed).
  { pkg: 'packages/cli', entry: [{ in: 'src/entry.ts', out: 'main' }], external: [...native, '@mlci/core', '@mlci/plugin-report'] },
  // First-party plugins share the one @mlci/core the CLI loaded.
  ...plugins.map((name) => ({ pkg: `plugins/${name}`, entry: 'src/index.ts', external: [...native, '@mlci/core'] })),
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
