// A TypeScript config is compiled to CommonJS when it can be (no ES module loader at startup,
// issue 15) and to an ES module when it must be: top-level await or import.meta.resolve in the config, or top-level await in a package
// it imports. Either way it loads once per run, and the compiled file stays in the cache.
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'

/** The compiled config files in the project's cache (`.mlci/config-cache`, or node_modules/.cache/mlci). */
function compiled(dir: string, cache = '.mlci/config-cache'): string[] {
  return readdirSync(join(dir, cache)).filter((f) => /\.(cjs|mjs)$/.test(f))
}

/** A plugin that prints `from <label>` in verify; the config prints `evaluated` each time it runs. */
const saying = (label: string) => `{ name: 'say', apply(mlci: any) { mlci.hooks.verify.tapPromise('say', async () => { console.log('from ${label}') }) } }`

async function verify(dir: string) {
  const r = await runCli(['build', '--only', 'verify'], { cwd: dir })
  expect(r.code, r.output).toBe(0)
  return r
}

describe('the compiled TS config', () => {
  it('is CommonJS by default, and loads ES module packages and import.meta of each file it bundles', async () => {
    const dir = testdir({
      'node_modules/esm-only/package.json': JSON.stringify({ name: 'esm-only', type: 'module', exports: './index.js' }),
      'node_modules/esm-only/index.js': "export const label = 'esm package'\n",
      'helpers/where.ts': 'export const here = import.meta.dirname\nexport const url = import.meta.url\n',
      'mlci.config.ts': `import { label } from 'esm-only'\nimport { here, url } from './helpers/where'\nconsole.log('evaluated', label, here.endsWith('/helpers'), url.endsWith('/helpers/where.ts'), import.meta.filename.endsWith('/mlci.config.ts'))\nexport default { plugins: [${saying('cjs')}] }\n`,
    })
    const r = await verify(dir)
    expect(r.stdout).toContain('evaluated esm package true true true')
    expect(r.stdout).toContain('from cjs')
    expect(compiled(dir, 'node_modules/.cache/mlci')).toEqual([expect.stringMatching(/^mlci\.config\.ts\.[0-9a-f]{16}\.cjs$/)])
  })

  it('sees packages as `import` does: an ES module\'s default, names and namespace; a CommonJS module.exports as default', async () => {
    const files = {
      'node_modules/esm-pkg/package.json': JSON.stringify({ name: 'esm-pkg', type: 'module', exports: './index.js' }),
      'node_modules/esm-pkg/index.js': "export default function factory() { return 'esm default' }\nexport const named = 'esm named'\n",
      // What tsc emits for `export default` + `export const` in CommonJS: Node's import gives module.exports as default.
      'node_modules/cjs-pkg/package.json': JSON.stringify({ name: 'cjs-pkg' }),
      'node_modules/cjs-pkg/index.js': "Object.defineProperty(exports, '__esModule', { value: true })\nexports.default = 'cjs exports.default'\nexports.named = 'cjs named'\n",
      'mlci.config.ts': [
        "import factory, { named } from 'esm-pkg'",
        "import * as ns from 'esm-pkg'",
        "import cjs, { named as cjsNamed } from 'cjs-pkg'",
        "console.log('seen', factory(), named, typeof ns.default, ns.named, typeof cjs, (cjs as any).default, cjsNamed)",
        `export default { plugins: [${saying('interop')}] }`,
        '',
      ].join('\n'),
    }
    // With and without "type": "module" above the config (esbuild's interop differs between them).
    for (const type of ['module', 'commonjs']) {
      const dir = testdir({ ...files, 'package.json': JSON.stringify({ name: 'p', private: true, type }) })
      const r = await verify(dir)
      expect(r.stdout, type).toContain('seen esm default esm named function esm named object cjs exports.default cjs named')
      expect(compiled(dir, 'node_modules/.cache/mlci'), type).toEqual([expect.stringMatching(/\.cjs$/)])
    }
  })

  it('with top-level await in the config it is an ES module', async () => {
    const dir = testdir({ 'mlci.config.ts': `const label: string = await Promise.resolve('tla')\nconsole.log('evaluated')\nexport default { plugins: [${saying('tla')}] }\n` })
    for (let i = 0; i < 2; i++) {
      const r = await verify(dir)
      expect(r.stdout).toContain('from tla')
      expect(r.stdout.match(/evaluated/g)).toHaveLength(1)
    }
    expect(compiled(dir)).toEqual([expect.stringMatching(/\.mjs$/)])
  })

  it('with import.meta.resolve (import.meta beyond url, filename, dirname) in a file it bundles it is an ES module', async () => {
    const dir = testdir({
      'x.mjs': 'export const x = 1\n',
      'helpers/where.ts': "export const found = import.meta.resolve('../x.mjs').endsWith('/x.mjs')\n",
      'mlci.config.ts': `import { found } from './helpers/where'\nconsole.log('resolved', found, import.meta.resolve('./x.mjs').endsWith('/x.mjs'))\nexport default { plugins: [${saying('meta')}] }\n`,
    })
    for (let i = 0; i < 2; i++) {
      const r = await verify(dir)
      expect(r.stdout).toContain('resolved true true')
      expect(r.stdout).toContain('from meta')
    }
    expect(compiled(dir)).toEqual([expect.stringMatching(/\.mjs$/)])
  })

  it('importing a package with top-level await it becomes an ES module once, and the next start imports that at once', async () => {
    const dir = testdir({
      'node_modules/tla-pkg/package.json': JSON.stringify({ name: 'tla-pkg', type: 'module', exports: './index.js' }),
      'node_modules/tla-pkg/index.js': "export const label = await Promise.resolve('tla package')\n",
      'mlci.config.ts': `import { label } from 'tla-pkg'\nconsole.log('evaluated', label)\nexport default { plugins: [${saying('tla package')}] }\n`,
    })
    for (let i = 0; i < 2; i++) {
      const r = await verify(dir)
      // The CommonJS attempt fails at the require, before the config's own code runs.
      expect(r.stdout.match(/evaluated tla package/g)).toHaveLength(1)
      expect(r.stdout).toContain('from tla package')
    }
    // The CommonJS attempt is not left behind.
    expect(compiled(dir, 'node_modules/.cache/mlci')).toEqual([expect.stringMatching(/\.mjs$/)])
  })

  it('a JSON config loads plugins by name as `import` would: a CommonJS package, a first-party plugin (its CommonJS twin), an ES module by path', async () => {
    const apply = (label: string) => `apply(mlci) { mlci.hooks.verify.tapPromise('${label}', async () => { console.log('from ${label}') }) }`
    const dir = testdir({
      'node_modules/cjs-plugin/package.json': JSON.stringify({ name: 'cjs-plugin', version: '1.0.0' }),
      'node_modules/cjs-plugin/index.js': "module.exports = (options) => ({ name: 'cjs-plugin', apply(mlci) { mlci.hooks.verify.tapPromise('cjs', async () => { console.log('from cjs', options.say) }) } })\n",
      'esm-plugin.mjs': `export default () => ({ name: 'esm-plugin', ${apply('esm by path')} })\n`,
      'mlci.config.json': JSON.stringify({ plugins: [['cjs-plugin', { say: 'hi' }], './esm-plugin.mjs', '@mlci/plugin-rollback'] }),
    })
    const r = await runCli(['build', '--only', 'verify'], { cwd: dir, env: { NODE_DEBUG: 'esm,module' } })
    expect(r.code, r.output).toBe(0)
    for (const said of ['from cjs hi', 'from esm by path']) expect(r.stdout).toContain(said)
    expect(r.stderr).toMatch(/load "[^"]*\/plugins\/rollback\/dist\/bundle\/index\.cjs"/)
  })

  it('a manifest written by another compile scheme (another mlci) is compiled again, never loaded as it is', async () => {
    const dir = testdir({ 'mlci.config.ts': `export default { plugins: [${saying('source')}] }\n` })
    expect((await verify(dir)).stdout).toContain('from source')
    const manifestFile = join(dir, '.mlci/config-cache/mlci.config.ts.json')
    const { scheme, ...older } = JSON.parse(readFileSync(manifestFile, 'utf8'))
    expect(scheme).toEqual(expect.any(Number))
    // Its compiled file, as an older scheme would have left it: untagged CommonJS exports (other
    // code, so another content-hashed name).
    const stale = older.output.replace(/\.cjs$/, '0.cjs')
    writeFileSync(stale, `exports.__esModule = true\nexports.default = { plugins: [${saying('stale').replace(': any', '')}] }\n`)
    writeFileSync(manifestFile, JSON.stringify({ ...older, output: stale }))
    const r = await verify(dir)
    expect(r.stdout).toContain('from source')
    expect(r.stdout).not.toContain('from stale')
  })

  it('keeps the compiled file in use and the one before it, no older ones, through edits', async () => {
    const dir = testdir({ 'mlci.config.ts': `export default { plugins: [${saying('v0')}] }\n` })
    expect((await verify(dir)).stdout).toContain('from v0')
    const inUse = () => basename(JSON.parse(readFileSync(join(dir, '.mlci/config-cache/mlci.config.ts.json'), 'utf8')).output)
    expect(compiled(dir)).toEqual([inUse()])
    let before = inUse()
    for (const v of ['v1', 'v2', 'v3']) {
      writeFileSync(join(dir, 'mlci.config.ts'), `export default { plugins: [${saying(v)}] }\n`)
      expect((await verify(dir)).stdout).toContain(`from ${v}`)
      // The new file, and the one it replaced (a build started a moment earlier may load it).
      expect(compiled(dir).sort(), v).toEqual([before, inUse()].sort())
      before = inUse()
    }
    // A config that fails validation leaves the files as they were.
    const files = compiled(dir).sort()
    writeFileSync(join(dir, 'mlci.config.ts'), 'export default { plugins: [{ name: 42 }] }\n')
    const bad = await runCli(['build', '--only', 'verify'], { cwd: dir })
    expect(bad.code, bad.output).toBe(2)
    expect(compiled(dir).sort()).toEqual(files)
  })

  it('a project copied with its cache compiles its own config, never the other copy\'s', async () => {
    const a = testdir({ 'mlci.config.ts': `export default { plugins: [${saying('A')}] }\n` })
    expect((await verify(a)).stdout).toContain('from A')
    const b = testdir()
    cpSync(a, b, { recursive: true })
    writeFileSync(join(b, 'mlci.config.ts'), `export default { plugins: [${saying('B')}] }\n`)
    expect((await verify(b)).stdout).toContain('from B')
    expect((await verify(a)).stdout).toContain('from A')
  })
})
