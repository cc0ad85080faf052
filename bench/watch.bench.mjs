// `mlci watch` on 10,000 input files: the latency from a file write to the start of the affected
// phase (target: debounce + 10 ms), the watcher's setup time and memory; beside them the raw
// watchers on the same tree: chokidar 5 alone, fs.watch recursive, fs.watch per folder.
// Needs the built CLI (npx tsc -b packages/cli).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { median } from './lib.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO, 'packages/cli/bin/mlci.js')
const FILES = Number(process.env.BENCH_WATCH_FILES ?? 10_000)
const WRITES = Number(process.env.BENCH_WATCH_WRITES ?? 30)
const DEBOUNCE_MS = 100

// A plugin needs no import: an object with name and apply. It prints the monotonic clock
// (CLOCK_MONOTONIC, shared by every process on the machine) when the cycle's run starts and
// when the phase starts (its hook is called, after the phase cache fingerprinted the inputs).
const CONFIG = `export default {
  watch: { debounce: ${DEBOUNCE_MS} },
  plugins: [{
    name: 'bench-probe',
    apply(mlci) {
      mlci.declare({ phase: 'test', inputs: ['src/**'] })
      mlci.on('run:start', () => console.log('run-start ' + process.hrtime.bigint()))
      mlci.on('phase:start', ({ phase }) => { if (phase === 'test') console.log('phase-start ' + process.hrtime.bigint()) })
      mlci.hooks.test.tapPromise('bench-probe', async () => {})
    },
  }],
}
`

function makeProject(files) {
  const dir = mkdtempSync(join(tmpdir(), 'mlci-bench-watch-'))
  const perDir = 100
  const paths = []
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'src', `d${Math.floor(i / perDir)}`)
    if (i % perDir === 0) mkdirSync(sub, { recursive: true })
    const file = join(sub, `f${i}.txt`)
    writeFileSync(file, `${i}\n`.repeat(100))
    paths.push(file)
  }
  writeFileSync(join(dir, 'mlci.config.mjs'), CONFIG)
  writeFileSync(join(dir, 'README.md'), 'not an input\n')
  return { dir, paths }
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/** Start `mlci watch` on a project; resolve once its first cycle is over. */
async function startWatch(dir) {
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, [CLI, 'watch', '--phases', 'test'], { cwd: dir, env: { ...process.env, CI: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const waiters = []
  const onData = (d) => {
    out += d
    for (const w of waiters.splice(0)) if (!w()) waiters.push(w)
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const waitFor = (re, from) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re}:\n${out}`)), 60_000)
    const check = () => {
      const m = re.exec(out.slice(from))
      if (m) {
        clearTimeout(timer)
        resolve(m)
      }
      return Boolean(m)
    }
    if (!check()) waiters.push(check)
  })
  const ready = await waitFor(/watching (\d+) input files .*ready in ([\d.]+m?s)/, 0)
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6
  await waitFor(/cycle 1 ok/, 0)
  return { child, waitFor, length: () => out.length, since: (from) => out.slice(from), files: Number(ready[1]), setup: ready[2], readyMs, rss: rssMiB(child.pid) }
}

/** Write input files one at a time; for each, when did the run and the phase start? */
async function writeLatencies(w, paths) {
  const run = []
  const phase = []
  for (let i = 0; i < WRITES; i++) {
    const from = w.length()
    const t0 = process.hrtime.bigint()
    writeFileSync(paths[(i * 7919) % paths.length], `write ${i}\n`)
    const r = await w.waitFor(/run-start (\d+)/, from)
    const p = await w.waitFor(/phase-start (\d+)/, from)
    run.push(Number(BigInt(r[1]) - t0) / 1e6)
    phase.push(Number(BigInt(p[1]) - t0) / 1e6)
    await w.waitFor(/cycle \d+ ok/, from)
    await sleep(20)
  }
  return { run, phase }
}

async function measureMlciWatch() {
  const small = makeProject(10)
  const big = makeProject(FILES)
  try {
    const s = await startWatch(small.dir)
    s.latency = await writeLatencies(s, small.paths)
    s.child.kill('SIGINT')
    const w = await startWatch(big.dir)
    w.latency = await writeLatencies(w, big.paths)
    // A README write must start nothing.
    const from = w.length()
    writeFileSync(join(big.dir, 'README.md'), 'still not an input\n')
    await sleep(DEBOUNCE_MS * 3)
    const none = !/\[watch\] cycle/.test(w.since(from))
    w.child.kill('SIGINT')
    return { small: s, big: w, none }
  } finally {
    rmSync(small.dir, { recursive: true, force: true })
    rmSync(big.dir, { recursive: true, force: true })
  }
}

// One child process per raw watcher, so memory is its own.
const PROBE = `
import { watch as fsWatch, writeFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
const [dir, kind, writes] = process.argv.slice(1)
const { watch } = await import('chokidar')
const src = join(dir, 'src')
const dirs = readdirSync(src).map((d) => join(src, d))
const files = dirs.flatMap((d) => readdirSync(d).map((f) => join(d, f)))
globalThis.gc?.()
const rss0 = process.memoryUsage().rss
let onEvent = () => {}
const t0 = performance.now()
if (kind === 'chokidar') {
  const w = watch(src, { ignoreInitial: true })
  w.on('change', () => onEvent())
  await new Promise((r) => w.once('ready', r))
} else if (kind === 'fs.watch recursive') {
  fsWatch(src, { recursive: true }, () => onEvent())
} else {
  for (const d of dirs) fsWatch(d, () => onEvent())
}
const setupMs = performance.now() - t0
await new Promise((r) => setTimeout(r, 200))
globalThis.gc?.()
const rssMiB = (process.memoryUsage().rss - rss0) / 1048576
const lat = []
for (let i = 0; i < Number(writes); i++) {
  const f = files[(i * 7919) % files.length]
  const seen = new Promise((r) => (onEvent = r))
  const t = performance.now()
  writeFileSync(f, 'w' + i)
  await seen
  lat.push(performance.now() - t)
  onEvent = () => {}
  await new Promise((r) => setTimeout(r, 10))
}
lat.sort((a, b) => a - b)
console.log(JSON.stringify({ setupMs, rssMiB, latencyMs: lat[lat.length >> 1] }))
process.exit(0)
`

function probe(dir, kind) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE, dir, kind, String(WRITES)], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${kind} probe exited ${code}`))))
  })
}

export default async function main() {
  const { small, big, none } = await measureMlciWatch()
  const target = DEBOUNCE_MS + 10
  const stat = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    return { med: median(values), p90: sorted[Math.floor(sorted.length * 0.9)] }
  }
  console.log(`mlci watch, debounce ${DEBOUNCE_MS} ms, median (p90) of ${WRITES} writes; target write → phase start ≤ ${target} ms:`)
  console.log(`${'input files'.padEnd(12)} ${'write → run starts'.padStart(20)} ${'write → phase starts'.padStart(22)}   ${'start → watching'.padStart(17)} ${'RSS'.padStart(8)}`)
  for (const w of [small, big]) {
    const run = stat(w.latency.run)
    const phase = stat(w.latency.phase)
    const verdict = `${(phase.med / target).toFixed(2)}× target`
    console.log(`${String(w.files).padEnd(12)} ${`${run.med.toFixed(1)} (${run.p90.toFixed(1)}) ms`.padStart(20)} ${`${phase.med.toFixed(1)} (${phase.p90.toFixed(1)}) ms`.padStart(22)}   ${`${w.readyMs.toFixed(0)} ms`.padStart(17)} ${`${w.rss.toFixed(0)} MiB`.padStart(8)}   ${verdict}`)
  }
  const runOver = stat(big.latency.run).med - DEBOUNCE_MS
  const cacheMs = stat(big.latency.phase).med - stat(big.latency.run).med
  console.log(`  watch's own part (change seen, debounced, cycle started): debounce + ${runOver.toFixed(1)} ms at ${big.files} files`)
  console.log(`  run start → phase start at ${big.files} files: ${cacheMs.toFixed(0)} ms (the phase cache fingerprinting the declared inputs)`)
  console.log(`  chokidar ready in ${big.setup} (${big.files} files) vs ${small.setup} (${small.files}); memory +${(big.rss - small.rss).toFixed(0)} MiB`)
  console.log(`  a README write started a cycle: ${none ? 'no' : 'YES'}`)

  const { dir } = makeProject(FILES)
  try {
    console.log(`\nraw watchers on the same ${FILES} files (own process each; median of ${WRITES} writes):`)
    console.log(`${'watcher'.padEnd(22)} ${'setup'.padStart(10)} ${'memory'.padStart(10)} ${'change latency'.padStart(15)}`)
    const rows = []
    for (const kind of ['chokidar', 'fs.watch recursive', 'fs.watch per folder']) rows.push([kind, await probe(dir, kind)])
    const ref = rows[0][1]
    for (const [kind, r] of rows) {
      console.log(`${kind.padEnd(22)} ${`${r.setupMs.toFixed(0)} ms`.padStart(10)} ${`${r.rssMiB.toFixed(0)} MiB`.padStart(10)} ${`${r.latencyMs.toFixed(2)} ms`.padStart(15)}   setup ${(r.setupMs / ref.setupMs).toFixed(2)}× · memory ${(r.rssMiB / ref.rssMiB).toFixed(2)}× of chokidar`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
