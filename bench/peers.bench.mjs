// Issue 15: mlci's startup beside its peers, in one hyperfine-style interleaved loop (every
// command once per round, so load on a shared machine falls on all of them alike): `node -e 0`
// (the floor for a Node CLI), `mlci --version`, a no-op `mlci build` (TS config, 3 trivial
// plugins), a fully cached build of fixtures/classifier, make (target up to date), gulp (3 no-op
// tasks) and turbo's Node launcher on a cache hit. gulp and turbo come from npm at pinned
// versions into a folder under the OS temp dir, kept between runs; when that install fails the
// bench says so and measures the rest. Every command runs with NODE_EXTRA_CA_CERTS unset.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { interleaved, startupEnv } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO, 'packages/cli/bin/mlci.js')
const RUNS = Number(process.env.BENCH_RUNS ?? 30)
const PINNED = { gulp: '5.0.1', turbo: '2.8.17' }
const PEERS = join(tmpdir(), `mlci-bench-peers-gulp${PINNED.gulp}-turbo${PINNED.turbo}`)
const QUIET = { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', TURBO_NO_UPDATE_NOTIFIER: '1', CI: '1', NO_COLOR: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }

const TS_CONFIG = `import { definePlugin } from '@mlci/core'
const noop = (name: string) => definePlugin(() => ({ name, apply(mlci) { mlci.hooks.verify.tapPromise(name, async () => {}) } }))()
export default { plugins: [noop('a'), noop('b'), noop('c')] }
`
const GULPFILE = `const { series } = require('gulp')
const a = (done) => done(), b = (done) => done(), c = (done) => done()
exports.default = series(a, b, c)
`

function run(argv, cwd, env = startupEnv(QUIET), timeout = 300_000) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: 'utf8', timeout })
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` }
}

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(PEERS, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}

/** gulp, turbo and make projects in PEERS (npm install only when the pinned versions are missing). */
function preparePeers() {
  mkdirSync(join(PEERS, 'pkgs/a'), { recursive: true })
  const npm = run(['npm', '-v'], PEERS).output.trim()
  writeFileSync(join(PEERS, 'package.json'), JSON.stringify({
    name: 'mlci-bench-peers', private: true, packageManager: `npm@${npm}`, workspaces: ['pkgs/*'], devDependencies: PINNED,
  }, null, 2))
  writeFileSync(join(PEERS, 'pkgs/a/package.json'), JSON.stringify({ name: 'a', version: '1.0.0', scripts: { build: 'node -e "require(\'fs\').writeFileSync(\'out.txt\', \'built\')"' } }))
  writeFileSync(join(PEERS, 'turbo.json'), JSON.stringify({ tasks: { build: { inputs: ['package.json'], outputs: ['out.txt'] } } }))
  writeFileSync(join(PEERS, 'gulpfile.js'), GULPFILE)
  writeFileSync(join(PEERS, 'Makefile'), 'out.txt: in.txt\n\tcp in.txt out.txt\n')
  if (!existsSync(join(PEERS, 'in.txt'))) writeFileSync(join(PEERS, 'in.txt'), 'x\n')
  const status = {}
  if (installedVersion('gulp') !== PINNED.gulp || installedVersion('turbo') !== PINNED.turbo) {
    const install = run(['npm', 'install', '--no-audit', '--no-fund'], PEERS)
    if (!install.ok) status.install = `npm install gulp@${PINNED.gulp} turbo@${PINNED.turbo} failed: ${install.output.trim().split('\n').slice(-2).join(' ')}`
  }
  // A cache hit needs a first run (the bench's first ever run also fills turbo's cache).
  const turbo = [process.execPath, join(PEERS, 'node_modules/turbo/bin/turbo'), 'run', 'build']
  if (!status.install) {
    let hit
    for (let i = 0; i < 3 && !/FULL TURBO/.test(hit?.output ?? ''); i++) hit = run(turbo, PEERS)
    if (!/FULL TURBO|cache hit/.test(hit.output)) status.turbo = `turbo did not hit its cache: ${hit.output.trim().split('\n').pop()}`
  }
  if (!run(['make', '-s', 'out.txt'], PEERS).ok) status.make = 'make is not installed or failed'
  return { status, turbo }
}

/** A copy of fixtures/classifier inside the repo (so @mlci/* resolve), built once: the next builds are fully cached. */
function cachedClassifier(base) {
  const dir = join(base, 'classifier')
  cpSync(join(REPO, 'fixtures/classifier'), dir, { recursive: true, filter: (s) => !/[\\/](out|\.mlci|__pycache__|\.pytest_cache)$/.test(s) })
  const first = run([process.execPath, CLI, 'build'], dir)
  return first.ok ? { dir } : { error: `fixtures/classifier did not build: ${first.output.trim().split('\n').pop()}` }
}

export default async function main() {
  const base = join(REPO, 'bench', '.tmp', `peers-${process.pid}`)
  mkdirSync(join(base, 'ts'), { recursive: true })
  try {
    writeFileSync(join(base, 'ts', 'mlci.config.ts'), TS_CONFIG)
    const peers = preparePeers()
    const classifier = cachedClassifier(base)
    const env = startupEnv(QUIET)
    const commands = [
      { label: 'node -e 0', argv: [process.execPath, '-e', '0'], target: '(the floor)' },
      { label: 'mlci --version', argv: [process.execPath, CLI, '--version'], target: 1.15 },
      { label: 'mlci build, no-op (.ts config, 3 trivial plugins)', argv: [process.execPath, CLI, 'build'], cwd: join(base, 'ts'), target: 1.4 },
      classifier.dir && { label: 'mlci build, fully cached (fixtures/classifier)', argv: [process.execPath, CLI, 'build'], cwd: classifier.dir, target: 1.6 },
      !peers.status.make && { label: 'make (target up to date)', argv: ['make', '-s', 'out.txt'], cwd: PEERS, target: 'peer' },
      !peers.status.install && { label: `gulp ${PINNED.gulp} (3 no-op tasks)`, argv: [process.execPath, join(PEERS, 'node_modules/gulp/bin/gulp.js')], cwd: PEERS, target: 'peer' },
      !peers.status.install && !peers.status.turbo && { label: `turbo ${PINNED.turbo} (Node launcher, cache hit)`, argv: peers.turbo, cwd: PEERS, target: 'peer' },
    ].filter(Boolean).map((c) => ({ ...c, env }))
    const results = interleaved(commands, { runs: RUNS })
    const floor = results[0].ms
    console.log(`median of ${RUNS} interleaved rounds; NODE_EXTRA_CA_CERTS unset for every command; load average ${loadavg()[0].toFixed(2)}`)
    console.log(`${'command'.padEnd(52)} ${'median'.padStart(9)}   ratio   target`)
    for (const r of results) {
      if (r.ms === undefined) {
        console.log(`${r.label.padEnd(52)}    failed: ${r.error}`)
        continue
      }
      const ratio = r.ms / floor
      const target = typeof r.target === 'number' ? `≤ ${r.target.toFixed(2)}× ${ratio <= r.target ? 'met' : 'NOT met'}` : r.target
      console.log(`${r.label.padEnd(52)} ${r.ms.toFixed(1).padStart(6)} ms   ${ratio.toFixed(2)}×   ${target}`)
    }
    for (const why of [...Object.values(peers.status), classifier.error].filter(Boolean)) console.log(`not measured: ${why}`)
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main()
