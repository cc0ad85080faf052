import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'
import { treeSnapshot } from './helpers/tree.js'
import { waitForText, waitUntil } from './helpers/wait.js'

// Small plugins written as a user would, imported by the configs below.
const PLUGINS = `
import { definePlugin, Stage, validateOptions } from '@mlci/core'
import { setTimeout as sleep } from 'node:timers/promises'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
export const say = definePlugin((o = {}) => {
  validateOptions('say', o, { name: 'string', phase: 'string', text: 'string', stage: 'number', ms: 'integer' })
  const name = o.name ?? 'say'
  return { name, version: '1.2.3', apply(mlci) {
    mlci.hooks[o.phase ?? 'test'].tapPromise({ name, stage: o.stage ?? Stage.NORMAL }, async (ctx) => {
      ctx.log.info(o.text ?? name)
      if (o.ms) await sleep(o.ms)
    })
  } }
})
export const run = definePlugin((o) => ({ name: o.name ?? 'run', apply(mlci) {
  mlci.hooks[o.phase ?? 'test'].tapPromise(o.name ?? 'run', (ctx) => ctx.exec(o.argv))
} }))
export const boom = definePlugin((o = {}) => ({ name: o.name ?? 'boom', apply(mlci) {
  mlci.hooks[o.phase ?? 'verify'].tapPromise(o.name ?? 'boom', async () => { throw new Error(o.message ?? 'kaboom') })
} }))
// Holds the test phase (and so the repo lock) until the test creates \`release\`; \`held\` says it got there.
export const hold = definePlugin(() => ({ name: 'hold', apply(mlci) {
  mlci.hooks.test.tapPromise('hold', async (ctx) => {
    writeFileSync(join(ctx.cwd, 'held'), String(Date.now()))
    while (!existsSync(join(ctx.cwd, 'release'))) await sleep(20)
  })
} }))
export default say
`

function project(config: string, file = 'mlci.config.ts', extra: Record<string, string> = {}): string {
  return testdir({ 'plugins.mjs': PLUGINS, [file]: config, ...extra })
}

function lastRecord(dir: string): Record<string, any> {
  const runs = join(dir, '.mlci', 'runs')
  const file = readdirSync(runs).filter((f) => f.endsWith('.json')).sort().pop()!
  return JSON.parse(readFileSync(join(runs, file), 'utf8'))
}

describe('config formats', () => {
  it('loads a .ts config, honours stage order, and `mlci plugins` shows it', async () => {
    const dir = project(`
      import { defineConfig, Stage } from '@mlci/core'
      import { say } from './plugins.mjs'
      const late: number = Stage.LATE
      export default defineConfig({ plugins: [
        say({ name: 'second', text: 'from second', stage: late }),
        say({ name: 'first', text: 'from first', stage: Stage.EARLY }),
        false && say({ name: 'never' }),
        [[say({ name: 'nested' })]],
      ] })`)
    const build = await runCli(['build'], { cwd: dir })
    expect(build.code, build.output).toBe(0)
    // The log lines themselves (the uncacheable-test warning also names the plugins).
    const order = ['first', 'nested', 'second'].map((n) => build.stdout.indexOf(n === 'nested' ? '] nested\n' : `from ${n}`))
    expect(order.every((i) => i >= 0)).toBe(true)
    expect(order).toEqual([...order].sort((a, b) => a - b))
    const plugins = await runCli(['plugins'], { cwd: dir })
    expect(plugins.code).toBe(0)
    // Execution order with stage, and (after the build above) each tap's timing from the last run.
    expect(plugins.stdout).toMatch(/test\n\s+1\. first@1\.2\.3\s+stage EARLY\s+ok \d+ms\n\s+2\. nested@1\.2\.3\s+stage NORMAL\s+ok \d+ms\n\s+3\. second@1\.2\.3\s+stage LATE\s+ok \d+ms/)
    expect(plugins.stdout).not.toContain('never')
  })

  it('loads .mjs, .json with [specifier, options], and package.json#mlci', async () => {
    const mjs = project(`import { say } from './plugins.mjs'\nexport default { plugins: [say({ text: 'hello mjs' })] }`, 'mlci.config.mjs')
    const json = project(JSON.stringify({ plugins: [['./plugins.mjs', { text: 'hello json' }]] }), 'mlci.config.json')
    const pkg = project(JSON.stringify({ name: 'x', private: true, mlci: { plugins: ['./plugins.mjs'] } }), 'package.json')
    for (const [dir, text] of [[mjs, 'hello mjs'], [json, 'hello json'], [pkg, 'say']]) {
      const r = await runCli(['build'], { cwd: dir })
      expect(r.code, r.output).toBe(0)
      expect(r.stdout).toContain(text)
    }
  })
})

describe('broken configs exit 2 with zero side effects', () => {
  const cases: [string, string, string, RegExp][] = [
    ['TS syntax error', 'mlci.config.ts', 'export default {\n  plugins: [,\n  oops here\n}\n', /mlci\.config\.ts:3:\d+/],
    ['throwing config', 'mlci.config.ts', 'throw new Error("config exploded")\nexport default {}', /mlci\.config\.ts:1:7 threw while loading: config exploded/],
    ['unknown plugin', 'mlci.config.json', JSON.stringify({ plugins: ['mlci-plugin-does-not-exist'] }), /Cannot find plugin "mlci-plugin-does-not-exist" \(from .*mlci\.config\.json\)/],
    ['wrong option type', 'mlci.config.ts', `import { say } from './plugins.mjs'\nexport default { plugins: [say({ ms: 'slow' as any })] }`, /say\.ms must be an integer, got the string "slow"/],
    ['unknown top-level key', 'mlci.config.json', JSON.stringify({ plugns: [] }), /config\.plugns is not a known option/],
    ['invalid JSON', 'mlci.config.json', '{ "plugins": [ }', /mlci\.config\.json/],
  ]
  for (const [name, file, content, message] of cases) {
    it(name, async () => {
      const dir = project(content, file)
      const before = treeSnapshot(dir)
      const r = await runCli(['build'], { cwd: dir })
      expect(r.code, r.output).toBe(2)
      expect(r.stderr).toMatch(message)
      // Not one file or folder added, changed or removed anywhere in the project.
      expect(treeSnapshot(dir)).toEqual(before)
    })
  }
})

describe('runs', () => {
  it('wraps a tap error once naming phase and plugin, and records it', async () => {
    const dir = project(`import { say, boom } from './plugins.mjs'\nexport default { plugins: [boom({ phase: 'train', message: 'exploded' }), say()] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/exploded\s+\(train\/boom\) \[MLCI_TAP_FAILED\]/)
    const record = lastRecord(dir)
    expect(record.status).toBe('failed')
    expect(record.phases.find((p: any) => p.name === 'train')).toMatchObject({ status: 'failed', error: { code: 'MLCI_TAP_FAILED', plugin: 'boom' } })
    expect(record.phases.find((p: any) => p.name === 'test')).toMatchObject({ status: 'ok', taps: [{ plugin: 'say', version: '1.2.3', status: 'ok' }] })
  })

  it('verify collects every failing check before reporting', async () => {
    const dir = project(`import { boom } from './plugins.mjs'\nexport default { plugins: [boom({ name: 'a', message: 'no engine' }), boom({ name: 'b', message: 'no python' })] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('2 checks failed in verify')
    expect(r.stderr).toContain('[a] no engine')
    expect(r.stderr).toContain('[b] no python')
  })

  it('--only, --skip and --dry-run select phases from the table', async () => {
    const dir = project(`import { say } from './plugins.mjs'\nexport default { plugins: [say({ name: 't', text: 'T-RAN' }), say({ name: 'tr', phase: 'train', text: 'TRAIN-RAN' })] }`)
    const only = await runCli(['build', '--only', 'train'], { cwd: dir })
    expect(only.stdout).toContain('TRAIN-RAN')
    expect(only.stdout).not.toContain('T-RAN')
    const skip = await runCli(['build', '--skip', 'train'], { cwd: dir })
    expect(skip.stdout).toContain('T-RAN')
    expect(skip.stdout).not.toContain('TRAIN-RAN')
    const dry = await runCli(['build', '--dry-run', '--json'], { cwd: dir })
    expect(dry.code, dry.output).toBe(0)
    const record = JSON.parse(dry.stdout)
    expect(record.dryRun).toBe(true)
    expect(record.phases.find((p: any) => p.name === 'test').status).toBe('ok')
    expect(record.phases.find((p: any) => p.name === 'train')).toMatchObject({ status: 'skipped' })
    const bad = await runCli(['build', '--only', 'trian'], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('Unknown phase "trian"')
  })

  it('piped output has no ANSI escapes and --json prints the record', async () => {
    const dir = project(`import { say } from './plugins.mjs'\nexport default { plugins: [say()] }`)
    const r = await runCli(['build'], { cwd: dir, env: { NO_COLOR: undefined, CI: undefined, FORCE_COLOR: undefined } })
    expect(r.code).toBe(0)
    expect(r.output).not.toMatch(/\u001b\[/)
    const j = await runCli(['build', '--json'], { cwd: dir })
    expect(JSON.parse(j.stdout)).toMatchObject({ schema: 1, status: 'ok' })
  })
})

describe('secrets', () => {
  it('a secret env var echoed by a child never appears in output, record, log or --json', async () => {
    const secret = 'hunter2/very secret+value'
    const dir = project(`import { run } from './plugins.mjs'\nexport default { plugins: [run({ argv: ['sh', '-c', 'echo "token is $API_TOKEN"; printf "half:%s" "$API_TOKEN" | cut -c1-30; echo "enc: hunter2%2Fvery%20secret%2Bvalue form: hunter2%2fvery+secret%2bvalue"; echo "listed: $EXTRA"'] })], secrets: ['literal-from-config'] }`)
    const env = { API_TOKEN: secret, EXTRA: 'literal-from-config' }
    const r = await runCli(['build', '--verbose'], { cwd: dir, env })
    expect(r.code, r.output).toBe(0)
    expect(r.output).toContain('token is [redacted]')
    const j = await runCli(['build', '--json', '--verbose'], { cwd: dir, env })
    const runs = join(dir, '.mlci', 'runs')
    const stored = readdirSync(runs).map((f) => readFileSync(join(runs, f), 'utf8')).join('\n')
    for (const text of [r.output, j.output, stored]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain('hunter2%2Fvery%20secret%2Bvalue')
      expect(text).not.toContain('hunter2%2fvery+secret%2bvalue')
      expect(text).not.toContain('literal-from-config')
    }
  })
})

describe('repo lock', () => {
  const HOLD = `import { hold } from './plugins.mjs'\nexport default { plugins: [hold()] }`
  /** A build that holds the lock until release() (the test decides, not a timer). */
  async function holder(dir: string) {
    let pid = 0
    const done = runCli(['build'], { cwd: dir, onSpawn: (c) => { pid = c.pid! } })
    await waitUntil(() => existsSync(join(dir, 'held')), 'the first build holds the lock')
    expect(existsSync(join(dir, '.mlci', 'lock'))).toBe(true)
    return { pid, done, release: () => writeFileSync(join(dir, 'release'), '') }
  }

  it('a second concurrent build fails fast naming the holder\'s PID and --wait-for-lock', async () => {
    const dir = project(HOLD)
    const first = await holder(dir)
    const second = await runCli(['build'], { cwd: dir })
    expect(second.code, second.output).toBe(1)
    expect(second.stderr).toContain(`Another mlci run holds the repo lock: PID ${first.pid}`)
    expect(second.stderr).toContain('--wait-for-lock')
    // The holder never lets go on its own: the second build ended without waiting for it.
    expect(second.durationMs).toBeLessThan(15_000)
    expect(existsSync(join(dir, '.mlci', 'lock'))).toBe(true)
    first.release()
    expect((await first.done).code).toBe(0)
  })

  it('--wait-for-lock says it waits, and builds only after the holder releases', async () => {
    const dir = project(HOLD)
    const first = await holder(dir)
    let live = ''
    const waiter = runCli(['build', '--wait-for-lock'], { cwd: dir, onSpawn: (c) => c.stdout!.on('data', (d: Buffer) => { live += d }) })
    await waitForText(() => live, `Waiting for the repo lock held by PID ${first.pid} (mlci build`)
    const releasedAt = Date.now()
    first.release()
    const waited = await waiter
    expect(waited.code, waited.output).toBe(0)
    expect((await first.done).code).toBe(0)
    // The waiter's test phase ran after the release (it rewrote `held` then).
    expect(Number(readFileSync(join(dir, 'held'), 'utf8'))).toBeGreaterThanOrEqual(releasedAt)
    expect(existsSync(join(dir, '.mlci', 'lock'))).toBe(false)
  })

  it('a lock left by a process that no longer exists is reclaimed, saying so', async () => {
    const dir = project(`import { say } from './plugins.mjs'\nexport default { plugins: [say()] }`)
    const lockFile = join(dir, '.mlci', 'lock')
    mkdirSync(join(dir, '.mlci'), { recursive: true })
    writeFileSync(lockFile, JSON.stringify({ pid: 999_999, command: 'mlci build', startedAt: new Date().toISOString() }))
    const reclaimed = await runCli(['build'], { cwd: dir })
    expect(reclaimed.code, reclaimed.output).toBe(0)
    expect(reclaimed.stdout).toContain('Reclaimed a stale repo lock left by PID 999999')
    expect(existsSync(lockFile)).toBe(false)
  })
})

describe('signals', () => {
  it('Ctrl-C kills the whole process group of a running command, releases the lock, exits 130', async () => {
    const marker = `${100 + Math.floor(Math.random() * 800)}.${process.pid % 1000}`
    const dir = project(`import { run } from './plugins.mjs'\nexport default { plugins: [run({ argv: ['sh', '-c', 'sleep ${marker} & sleep ${marker} & echo started; wait'] })] }`)
    const alive = () => {
      try {
        return execFileSync('pgrep', ['-f', `sleep ${marker}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length
      } catch {
        return 0
      }
    }
    const r = await runCli(['build', '--verbose'], {
      cwd: dir,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (alive() >= 2) {
            clearInterval(poll)
            child.kill('SIGINT')
          }
        }, 50)
      },
    })
    expect(r.code, r.output).toBe(130)
    // The group got its signal before mlci exited; the kernel may still be tearing it down.
    await waitUntil(() => alive() === 0, 'no `sleep ${marker}` is left', 2000)
    expect(existsSync(join(dir, '.mlci', 'lock'))).toBe(false)
    expect(lastRecord(dir).status).toBe('interrupted')
  })
})
