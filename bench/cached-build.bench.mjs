// A fully cached `mlci build` of a copy of fixtures/classifier (pytest, training and evaluation
// restored from the phase cache: no Python process) beside `node -e 0`, as a ratio. Also the
// freshness gate `mlci build --dry-run --check`. Needs built packages (npx tsc -b).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { table, timeCommand } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO, 'packages/cli/bin/mlci.js')
const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const ENV = { CI: '1', NO_COLOR: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }

// Used only when the fixture cannot build (plugins not built): one cacheable phase, no Python.
const FALLBACK_PLUGIN = `import { definePlugin } from '@mlci/core'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
export default definePlugin(() => ({ name: 'bench-train', version: '1.0.0', apply(mlci) {
  mlci.declare({ phase: 'train', inputs: ['data.csv'], outputs: ['out/model.txt'] })
  mlci.hooks.train.tapPromise('bench-train', async (ctx) => {
    mkdirSync(ctx.cwd + '/out', { recursive: true })
    writeFileSync(ctx.cwd + '/out/model.txt', readFileSync(ctx.cwd + '/data.csv'))
  })
} }))
`

function mlci(args, cwd) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...ENV }, encoding: 'utf8' })
}

function lastRecord(dir) {
  const runs = join(dir, '.mlci', 'runs')
  const file = readdirSync(runs).filter((f) => f.endsWith('.json')).sort().pop()
  return JSON.parse(readFileSync(join(runs, file), 'utf8'))
}

function fixtureCopy(base) {
  const dir = join(base, 'classifier')
  cpSync(join(REPO, 'fixtures/classifier'), dir, { recursive: true, filter: (s) => !/[\\/](out|\.mlci|__pycache__|\.pytest_cache)$/.test(s) })
  return dir
}

function fallbackProject(base) {
  const dir = join(base, 'fallback')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'plugin.mjs'), FALLBACK_PLUGIN)
  writeFileSync(join(dir, 'mlci.config.mjs'), `import p from './plugin.mjs'\nexport default { plugins: [p()] }\n`)
  writeFileSync(join(dir, 'data.csv'), 'x,y\n1,2\n')
  return dir
}

export default async function main() {
  // Inside the repo so the copy resolves @mlci/* through the workspace's node_modules.
  const base = join(REPO, 'bench', '.tmp', `cached-build-${process.pid}`)
  mkdirSync(base, { recursive: true })
  try {
    let dir = existsSync(join(REPO, 'fixtures/classifier/mlci.config.ts')) ? fixtureCopy(base) : undefined
    let label = 'fixtures/classifier'
    let first = dir && mlci(['build'], dir)
    if (!dir || first.status !== 0) {
      console.log(`fixtures/classifier could not build (${first ? `exit ${first.status}: ${(first.stderr || first.stdout).trim().split('\n').pop()}` : 'no mlci.config.ts'}); using a temp project with one cacheable phase instead`)
      dir = fallbackProject(base)
      label = 'temp project (one cacheable phase)'
      first = mlci(['build'], dir)
      if (first.status !== 0) throw new Error(`fallback build failed: ${first.stderr}`)
    }
    const t0 = performance.now()
    const second = mlci(['build'], dir)
    const secondMs = performance.now() - t0
    if (second.status !== 0) throw new Error(`second build failed: ${second.stderr}`)
    const phases = lastRecord(dir).phases.map((p) => `${p.name}=${p.status}`).join(' ')
    console.log(`${label}: first build then second build (${secondMs.toFixed(0)} ms): ${phases}`)
    const baseline = timeCommand([process.execPath, '-e', '0'], { runs: RUNS })
    const cached = timeCommand([process.execPath, CLI, 'build'], { runs: RUNS, cwd: dir, env: ENV })
    const check = timeCommand([process.execPath, CLI, 'build', '--dry-run', '--check'], { runs: RUNS, cwd: dir, env: ENV })
    console.log('NODE_EXTRA_CA_CERTS unset for every timed command')
    table([
      ['node -e 0', baseline],
      [`mlci build, fully cached (${label})`, cached],
      ['mlci build --dry-run --check (up to date)', check],
    ], baseline)
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main()
