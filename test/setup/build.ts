// Tests load built code: the CLI tests run packages/cli/bin/mlci.js (→ dist/bundle), plugins
// and child processes import '@mlci/*' through package.json "exports" (→ dist). A test run must
// never see yesterday's dist, so before any test starts we compare the sources with the bundles
// and rebuild (`tsc -b` + bundle, exactly `npm run build`) when any source is newer.
//
// The check is a stat-only walk (~10–20 ms); `tsc -b` with nothing to do would cost ~1 s.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

export interface Freshness {
  /** Why a build is needed, or undefined when dist is newer than every input. */
  reason?: string
  /** Input files looked at. */
  inputs: number
}

/** Packages whose sources feed the build: each folder with a tsconfig.json under these roots. */
function packageDirs(repo: string): string[] {
  const dirs: string[] = []
  for (const group of ['packages', 'plugins', 'fixtures']) {
    const root = join(repo, group)
    if (!existsSync(root)) continue
    for (const name of readdirSync(root)) {
      if (group === 'fixtures' && !name.startsWith('mlci-plugin-')) continue
      if (existsSync(join(root, name, 'tsconfig.json'))) dirs.push(join(root, name))
    }
  }
  return dirs
}

/** The bundles scripts/bundle.mjs writes; it deletes and rewrites all of them after `tsc -b`. */
function bundleEntries(repo: string): string[] {
  const entries = [join(repo, 'packages/core/dist/bundle/index.js'), join(repo, 'packages/cli/dist/bundle/main.js')]
  for (const name of readdirSync(join(repo, 'plugins'))) {
    if (existsSync(join(repo, 'plugins', name, 'src/index.ts'))) entries.push(join(repo, 'plugins', name, 'dist/bundle/index.js'))
  }
  return entries
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* walk(path)
    // Test files are loaded from src by vitest itself and are excluded from every tsconfig.
    else if (!entry.name.endsWith('.test.ts')) yield path
  }
}

/** Compare every build input with the oldest bundle. */
export function checkFreshness(repo: string): Freshness {
  let builtAt = Infinity
  for (const entry of bundleEntries(repo)) {
    if (!existsSync(entry)) return { reason: `${relative(repo, entry)} does not exist`, inputs: 0 }
    builtAt = Math.min(builtAt, statSync(entry).mtimeMs)
  }
  const inputs = [join(repo, 'tsconfig.json'), join(repo, 'tsconfig.base.json'), join(repo, 'scripts/bundle.mjs'), join(repo, 'scripts/code-cache-loader.cjs')]
  for (const dir of packageDirs(repo)) {
    inputs.push(join(dir, 'package.json'), join(dir, 'tsconfig.json'))
    if (existsSync(join(dir, 'src'))) inputs.push(...walk(join(dir, 'src')))
  }
  for (const file of inputs) {
    if (existsSync(file) && statSync(file).mtimeMs > builtAt) {
      return { reason: `${relative(repo, file)} is newer than the build`, inputs: inputs.length }
    }
  }
  return { inputs: inputs.length }
}

/** `npm run build`'s two steps, output shown only when one fails. */
export function build(repo: string): void {
  for (const [cmd, args] of [['npx', ['tsc', '-b']], [process.execPath, ['scripts/bundle.mjs']]] as const) {
    const r = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8' })
    if (r.status !== 0) {
      const shown = [cmd === process.execPath ? 'node' : cmd, ...args].join(' ')
      throw new Error(`Building before the tests failed: \`${shown}\` exited ${r.status ?? r.signal}.\n${r.stdout}${r.stderr}\nFix the build (\`npm run build\` shows the same), then rerun the tests.`)
    }
  }
}
