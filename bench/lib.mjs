// Shared helpers for benchmarks: medians of whole-process runs, printed as ratios.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export function median(values) {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Median wall time (ms) of running argv `runs` times (after `warmup` runs), NODE_EXTRA_CA_CERTS unset. */
export function timeCommand(argv, { runs = 15, warmup = 2, cwd, env } = {}) {
  const times = []
  for (let i = 0; i < runs + warmup; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(argv[0], argv.slice(1), { cwd, env: startupEnv(env), stdio: 'ignore' })
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`)
    if (i >= warmup) times.push(ms)
  }
  return median(times)
}

/** Print rows of [label, ms, ratio-vs-baseline]. */
export function table(rows, baselineMs) {
  for (const [label, ms] of rows) {
    console.log(`${label.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / baselineMs).toFixed(2)}×`)
  }
}

/**
 * MLCI_TEST_* from /tmp/mlci-ci/services.env (what .ci/services.sh writes) for the variables not
 * already set, so `npm run bench` reaches the shared services without sourcing the file first.
 * Returns the file's path when it was read.
 */
export function loadServicesEnv(file = process.env.MLCI_CI_STATE_DIR ? `${process.env.MLCI_CI_STATE_DIR}/services.env` : '/tmp/mlci-ci/services.env') {
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const m = /^export (MLCI_TEST_\w+)=(.*)$/.exec(line)
    if (m && process.env[m[1]] === undefined) process.env[m[1]] = m[2].replace(/^'(.*)'$/, '$1')
  }
  return file
}

/**
 * The environment startup figures run in: the user's, without NODE_EXTRA_CA_CERTS (this
 * sandbox sets it; it adds ~40 ms to every Node start and is not what a user has).
 */
export function startupEnv(extra = {}) {
  const env = { ...process.env, ...extra }
  delete env.NODE_EXTRA_CA_CERTS
  return env
}

/**
 * hyperfine-style: run every command once per round, round after round, so load on a shared
 * machine falls on all of them alike; returns each command's median wall time (ms).
 * `commands`: [{ label, argv, cwd?, env? }]. A command that fails is reported, not thrown.
 */
export function interleaved(commands, { runs = 30, warmup = 3 } = {}) {
  const times = commands.map(() => [])
  const failed = commands.map(() => undefined)
  for (let i = 0; i < runs + warmup; i++) {
    commands.forEach((c, k) => {
      if (failed[k]) return
      const t0 = process.hrtime.bigint()
      const r = spawnSync(c.argv[0], c.argv.slice(1), { cwd: c.cwd, env: c.env ?? startupEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (r.status !== 0) failed[k] = `exit ${r.status ?? r.signal}: ${String(r.stderr ?? r.error ?? '').trim().split('\n').pop()}`
      else if (i >= warmup) times[k].push(ms)
    })
  }
  return commands.map((c, k) => ({ ...c, ms: failed[k] ? undefined : median(times[k]), error: failed[k] }))
}
