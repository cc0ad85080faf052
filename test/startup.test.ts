// What each command loads (issue 15): `mlci --version` and `mlci --help` answer without
// @mlci/core; a command loads what it uses. Node's own ESM debug log (NODE_DEBUG=esm) names
// every module the real CLI loaded.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { REPO, testdir } from './helpers/testdir.js'

/** The file: URLs of the modules a CLI run loaded, from Node's ESM debug log on stderr. */
function loaded(stderr: string): string[] {
  return [...stderr.matchAll(/Storing (file:\/\/\S+) /g)].map((m) => m[1])
}

/** The files CommonJS loaded (NODE_DEBUG=module), the entry first. */
function required(stderr: string): string[] {
  return [...stderr.matchAll(/^MODULE \d+: load "([^"]+)" for module/gm)].map((m) => m[1])
}

/** Whether a run loaded @mlci/core: its CommonJS loader (the ES module facade requires it too). */
const loadedCore = (stderr: string) => required(stderr).some((m) => m.endsWith('/packages/core/dist/bundle/core-loader.cjs'))

describe('startup loads only what the command uses', () => {
  it('--version prints the CLI package version from the bin alone; other forms load no core', async () => {
    const version = JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')).version
    for (const args of [['--version'], ['-V']]) {
      const r = await runCli(args, { cwd: testdir(), env: { NODE_DEBUG: 'esm,module' } })
      expect(r.code).toBe(0)
      expect(r.stdout).toBe(`${version}\n`)
      // The bin is CommonJS: no ES module at all is loaded, and it requires nothing but package.json.
      expect(loaded(r.stderr)).toEqual([])
      expect(required(r.stderr).map((m) => m.replace(/.*\/packages\//, ''))).toEqual(['cli/bin/mlci.js', 'cli/package.json'])
    }
    // With a global flag before it, the CLI bundle's entry answers (still without core).
    const r = await runCli(['-v', '--version'], { cwd: testdir(), env: { NODE_DEBUG: 'esm,module' } })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${version}\n`)
    expect(required(r.stderr).some((m) => m.endsWith('/packages/cli/dist/bundle/cli-loader.cjs'))).toBe(true)
    expect(loadedCore(r.stderr)).toBe(false)
    expect(loaded(r.stderr)).toEqual([])
  })

  it('--help, help and a bare `mlci` print the main help without core (exit 0, 0 and 2)', async () => {
    for (const [args, code] of [[['--help'], 0], [['help'], 0], [[], 2], [['--cwd', '.'], 2]] as const) {
      const r = await runCli([...args], { cwd: testdir(), env: { NODE_DEBUG: 'module' } })
      expect(r.code, args.join(' ')).toBe(code)
      expect(r.stdout).toContain('Usage: mlci [global options] <command> [options]')
      expect(r.stdout).toMatch(/--config <file>\s+Use this config file/)
      expect(loadedCore(r.stderr), args.join(' ')).toBe(false)
    }
  })

  it('a command still loads core (and `build --help` its own flags)', async () => {
    const r = await runCli(['build', '--help'], { cwd: testdir(), env: { NODE_DEBUG: 'module' } })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--wait-for-lock')
    expect(loadedCore(r.stderr)).toBe(true)
  })

  it('a build with a TS config starts no ES module loader and resolves none of mlci\'s packages by name: CLI, core, report plugin and the compiled config are CommonJS, sharing the running core', async () => {
    const dir = testdir({
      'mlci.config.ts': [
        "import { definePlugin } from '@mlci/core'",
        "import * as core from '@mlci/core'",
        "console.log('running core', core.definePlugin === (globalThis as any)[Symbol.for('@mlci/core')].definePlugin)",
        "export default { plugins: [definePlugin(() => ({ name: 'say', apply(mlci) { mlci.hooks.verify.tapPromise('say', async () => { console.log('from ts') }) } }))()] }",
        '',
      ].join('\n'),
    })
    for (const run of ['compiles', 'cached']) {
      const r = await runCli(['build', '--only', 'verify'], { cwd: dir, env: { NODE_DEBUG: 'esm,module' } })
      expect(r.code, `${run}: ${r.output}`).toBe(0)
      expect(r.stdout).toContain('from ts')
      expect(r.stdout).toContain('running core true')
      expect(loaded(r.stderr), run).toEqual([])
      // NODE_DEBUG=module says "looking for "<name>"" for each package required by name: Node
      // resolves package "exports" with its ES module resolver, which mlci does without.
      expect(r.stderr.match(/looking for "@mlci\/[^"]*"/g) ?? [], run).toEqual([])
      const files = required(r.stderr)
      expect(files.some((m) => m.endsWith('/packages/cli/dist/bundle/cli-loader.cjs')), run).toBe(true)
      expect(loadedCore(r.stderr), run).toBe(true)
      expect(files.some((m) => m.endsWith('/plugins/report/dist/bundle/plugins.cjs')), run).toBe(true)
      expect(files.some((m) => /\/mlci\.config\.ts\.[0-9a-f]{16}\.cjs$/.test(m)), run).toBe(true)
    }
  })

  it('first-party plugins imported by a TS config load as CommonJS twins, and work as the ES modules did', async () => {
    const dir = testdir({
      'mlci.config.ts': [
        "import { defineConfig } from '@mlci/core'",
        "import rollback, * as all from '@mlci/plugin-rollback'",
        "import local from '@mlci/plugin-local'",
        "console.log('namespace', typeof all.default, Object.prototype.toString.call(all))",
        "export default defineConfig({ plugins: [rollback(), local({ command: ['python3', '-c', 'pass'] })] })",
        '',
      ].join('\n'),
    })
    const r = await runCli(['plugins'], { cwd: dir, env: { NODE_DEBUG: 'esm,module' } })
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toContain('namespace function [object Module]')
    expect(r.stdout).toMatch(/rollback/)
    expect(r.stdout).toMatch(/local/)
    expect(loaded(r.stderr)).toEqual([])
    const files = required(r.stderr)
    for (const name of ['rollback', 'local']) expect(files.some((m) => m.endsWith(`/plugins/${name}/dist/bundle/index.cjs`)), name).toBe(true)
  })
})

/** A config whose one plugin prints which file configured it (`from <label>`) in verify. */
const configSaying = (label: string, ts = false) => `export default { plugins: [{ name: 'say', apply(mlci${ts ? ': any' : ''}) {
  mlci.hooks.verify.tapPromise('say', async () => { console.log('from ${label}') })
} }] }\n`

/**
 * Whether the run loaded package `name`: required from node_modules (NODE_DEBUG=module names each
 * file CommonJS loads), or bundled into an ES module chunk it loaded (esbuild keeps source path
 * comments). Runs that check this set NODE_DEBUG to 'esm,module'.
 */
function loadedPackage(stderr: string, name: string): boolean {
  if (stderr.split('\n').some((line) => /^MODULE \d+: load "/.test(line) && line.includes(`/node_modules/${name}/`))) return true
  return loaded(stderr).filter((m) => m.includes('/packages/core/dist/bundle/'))
    .some((m) => readFileSync(fileURLToPath(m), 'utf8').includes(`node_modules/${name}/`))
}
const loadedCosmiconfig = (stderr: string) => loadedPackage(stderr, 'cosmiconfig')

describe('finding the config without cosmiconfig when the answer is plain', () => {
  it('a .ts config in the start folder loads without cosmiconfig; --config x.ts too', async () => {
    const dir = testdir({ 'mlci.config.ts': configSaying('ts', true), 'ci.config.mjs': configSaying('ci') })
    const r = await runCli(['build', '--only', 'verify'], { cwd: dir, env: { NODE_DEBUG: 'esm,module' } })
    expect(r.code, r.stdout).toBe(0)
    expect(r.stdout).toContain('from ts')
    expect(loadedCosmiconfig(r.stderr)).toBe(false)
    const c = await runCli(['build', '--only', 'verify', '-c', 'ci.config.mjs'], { cwd: dir, env: { NODE_DEBUG: 'esm,module' } })
    expect(c.code, c.stdout).toBe(0)
    expect(c.stdout).toContain('from ci')
    expect(loadedCosmiconfig(c.stderr)).toBe(false)
  })

  it('finds what cosmiconfig finds otherwise: package.json#mlci first, a blank config skipped, a config in a parent folder', async () => {
    const pkg = testdir({
      'package.json': JSON.stringify({ name: 'p', private: true, mlci: { plugins: ['./say.mjs'] } }),
      'say.mjs': `export default () => (${configSaying('package.json').replace('export default { plugins: [', '').replace(/\] \}\n$/, '')})\n`,
      'mlci.config.ts': configSaying('ts', true),
    })
    const a = await runCli(['build', '--only', 'verify'], { cwd: pkg, env: { NODE_DEBUG: 'esm,module' } })
    expect(a.code, a.output).toBe(0)
    expect(a.stdout).toContain('from package.json')
    expect(loadedCosmiconfig(a.stderr)).toBe(true)

    const blank = testdir({ 'mlci.config.ts': '\n  \n', 'mlci.config.mjs': configSaying('mjs') })
    const b = await runCli(['build', '--only', 'verify'], { cwd: blank })
    expect(b.code, b.output).toBe(0)
    expect(b.stdout).toContain('from mjs')

    const parent = testdir({ 'mlci.config.mjs': configSaying('parent'), 'sub/readme.txt': 'x' })
    const c = await runCli(['build', '--only', 'verify'], { cwd: join(parent, 'sub') })
    expect(c.code, c.output).toBe(0)
    expect(c.stdout).toContain('from parent')
  })
})

describe('the plugin/core compatibility check', () => {
  const withCore = (range: string) => `export default { plugins: [{ name: 'ranged', core: '${range}', apply(mlci) {
  mlci.hooks.verify.tapPromise('ranged', async () => { console.log('ranged ran') })
} }] }\n`

  it('answers a plain caret range without loading semver, and still refuses a plugin for another core', async () => {
    const ok = testdir({ 'mlci.config.mjs': withCore('^0.1.0') })
    const a = await runCli(['build', '--only', 'verify'], { cwd: ok, env: { NODE_DEBUG: 'esm,module' } })
    expect(a.code, a.stdout).toBe(0)
    expect(a.stdout).toContain('ranged ran')
    expect(loadedPackage(a.stderr, 'semver')).toBe(false)

    const b = await runCli(['build'], { cwd: testdir({ 'mlci.config.mjs': withCore('^9.1.0') }) })
    expect(b.code).toBe(2)
    expect(b.stderr).toMatch(/Plugin ranged supports @mlci\/core \^9\.1\.0, but this is @mlci\/core 0\.1\.0/)

    // Any other range shape is semver's to decide.
    const c = await runCli(['build', '--only', 'verify'], { cwd: testdir({ 'mlci.config.mjs': withCore('>=0.1.0 <1') }), env: { NODE_DEBUG: 'esm,module' } })
    expect(c.code, c.stdout).toBe(0)
    expect(loadedPackage(c.stderr, 'semver')).toBe(true)
    const d = await runCli(['build'], { cwd: testdir({ 'mlci.config.mjs': withCore('~0.2.0') }) })
    expect(d.code).toBe(2)
    expect(d.stderr).toContain('supports @mlci/core ~0.2.0')
  })
})
