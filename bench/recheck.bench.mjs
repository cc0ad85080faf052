// Issue 15: what 10,000 declared input files cost a fully cached `mlci build`, whole process:
// the same one-phase project with `inputs: ['data/**']` over 10,000 files and with no inputs,
// interleaved (medians). Target: ≤ 30 ms more. The in-process re-check alone is in hash.bench.
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { spawnSync } from 'node:child_process'
import { interleaved, startupEnv } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO, 'packages/cli/bin/mlci.js')
const RUNS = Number(process.env.BENCH_RUNS ?? 20)
const FILES = 10_000

const config = (inputs) => `import { definePlugin } from '@mlci/core'
import { mkdirSync, writeFileSync } from 'node:fs'
const train = definePlugin(() => ({ name: 'bench-train', version: '1.0.0', apply(mlci) {
  mlci.declare({ phase: 'train', inputs: ${JSON.stringify(inputs)}, outputs: ['out/model.txt'] })
  mlci.hooks.train.tapPromise('bench-train', async (ctx) => {
    mkdirSync(ctx.cwd + '/out', { recursive: true })
    writeFileSync(ctx.cwd + '/out/model.txt', 'model')
  })
} }))
export default { plugins: [train()] }
`

function project(dir, inputs, files) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'mlci.config.mjs'), config(inputs))
  const old = new Date(Date.now() - 3600_000)
  for (let i = 0; i < files; i++) {
    // 100 folders of 100 files, as hash.bench's tree.
    const sub = join(dir, 'data', `g${Math.floor(i / 1000)}`, `d${Math.floor(i / 100) % 10}`)
    if (i % 100 === 0) mkdirSync(sub, { recursive: true })
    writeFileSync(join(sub, `f${i}.csv`), `${i}\n`)
    // An existing checkout: nothing modified just now, so no row is racily new and re-hashed.
    utimesSync(join(sub, `f${i}.csv`), old, old)
  }
  // Two builds: the first hashes every file and writes the stat cache; the second is cached.
  for (let i = 0; i < 2; i++) {
    const r = spawnSync(process.execPath, [CLI, 'build'], { cwd: dir, env: startupEnv({ CI: '1', NO_COLOR: '1' }), encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`build in ${dir} failed: ${r.stderr}`)
  }
  return dir
}

export default async function main() {
  const base = join(REPO, 'bench', '.tmp', `recheck-${process.pid}`)
  try {
    const none = project(join(base, 'none'), [], 0)
    const many = project(join(base, 'many'), ['data/**'], FILES)
    const env = startupEnv({ CI: '1', NO_COLOR: '1' })
    // An anchor for the cost of checking 10,000 files natively: `git status` on the same files,
    // committed (its index holds every file's stat, as after a checkout). The repository is the
    // data folder alone, so the mlci project around it is measured as before (the walk skips .git).
    const git = (...args) => spawnSync('git', ['-c', 'user.email=b@b', '-c', 'user.name=b', ...args], { cwd: join(many, 'data'), stdio: 'ignore' }).status === 0
    const tracked = git('init', '-q') && git('add', '-A') && git('commit', '-qm', 'tree') && git('status', '--porcelain')
    const [a, b, c] = interleaved([
      { label: 'cached build, no declared inputs', argv: [process.execPath, CLI, 'build'], cwd: none, env },
      { label: `cached build, ${FILES} declared input files`, argv: [process.execPath, CLI, 'build'], cwd: many, env },
      ...(tracked ? [{ label: `git status, the same ${FILES} files (anchor)`, argv: ['git', 'status', '--porcelain'], cwd: join(many, 'data'), env }] : []),
    ], { runs: RUNS })
    console.log(`median of ${RUNS} interleaved rounds; NODE_EXTRA_CA_CERTS unset; load average ${loadavg()[0].toFixed(2)}`)
    for (const r of [a, b, c].filter(Boolean)) console.log(`${r.label.padEnd(44)} ${r.ms === undefined ? `failed: ${r.error}` : `${r.ms.toFixed(1).padStart(7)} ms`}`)
    if (a.ms !== undefined && b.ms !== undefined) {
      const extra = b.ms - a.ms
      console.log(`${FILES} inputs cost ${extra.toFixed(1)} ms (target ≤ 30 ms: ${extra <= 30 ? 'met' : 'NOT met'})`)
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main()
