import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { CLI } from './helpers/testdir.js'

/**
 * Stand-ins for the pytest and trainer plugins (same declarations: inputs, outputs), written
 * into a testdir's mlci.config.mjs so the watch tests do not depend on other packages' options.
 * `marker` is logged by every tap, so a test can see which config a cycle ran with.
 */
export function inlinePluginsConfig(options: { marker?: string; trainEnv?: Record<string, string> } = {}): string {
  return `import { definePlugin } from '@mlci/core'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

const PYTHON = process.env.MLCI_TEST_PYTHON || 'python3'
const MARKER = ${JSON.stringify(options.marker ?? 'config-a')}

const pytest = definePlugin(() => ({
  name: 'test-pytest',
  apply(mlci) {
    mlci.declare({ phase: 'test', inputs: ['tests/**/*.py', 'pytest.ini'] })
    mlci.hooks.test.tapPromise('test-pytest', async (ctx) => {
      ctx.log.info('marker ' + MARKER)
      await ctx.exec([PYTHON, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_data.py', 'tests/test_model.py'],
        { env: { PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' } })
    })
  },
}))

const trainer = definePlugin(() => ({
  name: 'test-trainer',
  apply(mlci) {
    // '**/*.json' also covers out/*.json: declared outputs must still never trigger a cycle.
    mlci.declare({ phase: 'train', inputs: ['train.py', '**/*.json', 'data'], outputs: ['out'] })
    mlci.hooks.train.tapPromise('test-trainer', async (ctx) => {
      ctx.log.info('marker ' + MARKER)
      await ctx.exec([PYTHON, join(ctx.cwd, 'train.py'), '--out', 'out'], { env: ${JSON.stringify(options.trainEnv ?? {})}, killGraceMs: 2000 })
    })
  },
}))

const evaluator = definePlugin(() => ({
  name: 'test-evaluate',
  apply(mlci) {
    mlci.declare({ phase: 'evaluate', inputs: ['probe.csv'] })
    mlci.hooks.evaluate.tapPromise('test-evaluate', async (ctx) => {
      ctx.data.metrics = JSON.parse(await readFile(join(ctx.cwd, 'out/metrics.json'), 'utf8'))
      ctx.log.info('accuracy ' + ctx.data.metrics.accuracy)
    })
  },
}))

const gate = definePlugin(() => ({
  name: 'test-gate',
  apply(mlci) {
    mlci.declare({ phase: 'gate', inputs: ['gate.yaml'] })
    mlci.hooks.gate.tapPromise('test-gate', async (ctx) => {
      const accuracy = ctx.data.metrics?.accuracy
      ctx.log.info('gate sees accuracy ' + accuracy)
      return accuracy > 0.5 ? undefined : { reason: 'accuracy ' + accuracy + ' ≤ 0.5' }
    })
  },
}))

export default { plugins: [pytest(), trainer(), evaluator(), gate()] }
`
}

/** A running `mlci watch` (non-TTY: plain lines), with helpers to wait for its output. */
export class WatchProcess {
  readonly child: ChildProcess
  output = ''
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private waiters: { test: () => boolean; resolve: () => void }[] = []

  constructor(readonly cwd: string, args: string[] = [], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, 'watch', ...args], {
      cwd,
      env: { ...process.env, CI: '1', NO_COLOR: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const onData = (data: Buffer) => {
      this.output += data.toString()
      this.waiters = this.waiters.filter((w) => (w.test() ? (w.resolve(), false) : true))
    }
    this.child.stdout!.on('data', onData)
    this.child.stderr!.on('data', onData)
    this.exit = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })))
  }

  /** Output from `from` on. */
  since(from: number): string {
    return this.output.slice(from)
  }

  /** Wait until the output after `from` matches; fails with the output so far. */
  waitFor(pattern: RegExp, from = 0, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const test = () => pattern.test(this.output.slice(from))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${this.output}`)), timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve(this.output.slice(from).match(pattern)!)
      }
      if (test()) return done()
      this.waiters.push({ test, resolve: done })
    })
  }

  /** The plan of every cycle header after `from`: `[watch] cycle N · a → b · why`. */
  cycles(from = 0): { n: number; phases: string[]; why: string }[] {
    return [...this.since(from).matchAll(/\[watch\] cycle (\d+) · ([^·\n]+) · ([^\n]*)/g)]
      .map((m) => ({ n: Number(m[1]), phases: m[2].trim().split(' → '), why: m[3] }))
  }

  async stop(signal: NodeJS.Signals = 'SIGINT') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return this.exit
  }
}

/** PIDs of live processes whose cwd is `dir` and whose command line contains `needle`. */
export function processesIn(dir: string, needle = ''): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== dir) continue
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ')
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
      if (state !== 'Z' && cmdline.includes(needle)) pids.push(Number(entry))
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids
}
