import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { lockExists } from './records.js'

const CONFIG = `export default { plugins: [{ name: 'noop', apply(mlci) { mlci.hooks.test.tapPromise('noop', async () => {}) } }] }`

function projectWithLock(holder: Record<string, unknown>): { dir: string; lockFile: string } {
  const dir = testdir({ 'mlci.config.mjs': CONFIG })
  mkdirSync(join(dir, '.mlci'), { recursive: true })
  const lockFile = join(dir, '.mlci', 'lock')
  writeFileSync(lockFile, JSON.stringify(holder))
  return { dir, lockFile }
}

describe('the repo lock says who holds it and can be removed by hand', () => {
  it('a lock from another host: the message names host, PID, command and start time and points at `mlci unlock --force`, not --wait-for-lock', async () => {
    const { dir } = projectWithLock({ pid: 4242, command: 'mlci build --only train', startedAt: '2026-12-01T10:00:00.000Z', hostname: 'ci-runner-7' })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('PID 4242 on host ci-runner-7 (`mlci build --only train`, since 2026-12-01T10:00:00.000Z)')
    expect(r.stderr).toContain('mlci unlock --force')
    expect(r.stderr).not.toContain('--wait-for-lock')
  })

  it('a lock whose PID now belongs to an unrelated, newer process is reclaimed instead of blocking for ever', async () => {
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' })
    try {
      const hourAgo = Date.now() - 3_600_000
      const { dir } = projectWithLock({ pid: unrelated.pid, command: 'mlci build', startedAt: new Date(hourAgo).toISOString(), hostname: hostname(), processStart: hourAgo - 500 })
      const r = await runCli(['build'], { cwd: dir })
      expect(r.code, r.output).toBe(0)
      expect(r.output).toContain(`Reclaimed a stale repo lock left by PID ${unrelated.pid}`)
      expect(lockExists(dir)).toBe(false)
    } finally {
      unrelated.kill('SIGKILL')
    }
  })

  it('mlci unlock: refuses a lock from another host without --force, removes it with --force', async () => {
    const { dir } = projectWithLock({ pid: 4242, command: 'mlci build', startedAt: '2026-12-01T10:00:00.000Z', hostname: 'ci-runner-7' })
    const refused = await runCli(['unlock'], { cwd: dir })
    expect(refused.code, refused.output).toBe(1)
    expect(refused.stderr).toContain('cannot check a process on another host')
    expect(lockExists(dir)).toBe(true)
    const forced = await runCli(['unlock', '--force'], { cwd: dir })
    expect(forced.code, forced.output).toBe(0)
    expect(forced.stdout).toContain('Removed the repo lock of PID 4242 on host ci-runner-7')
    expect(lockExists(dir)).toBe(false)
    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
  })

  it('mlci unlock removes the lock of a dead run on this host without --force; `mlci --help` lists it', async () => {
    const { dir } = projectWithLock({ pid: 999_999, command: 'mlci build', startedAt: new Date().toISOString(), hostname: hostname() })
    const r = await runCli(['unlock'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toContain('(no longer running)')
    expect(lockExists(dir)).toBe(false)
    expect((await runCli(['--help'], { cwd: dir })).stdout).toMatch(/unlock\s+Remove the repo lock/)
  })
})

describe('a dry run is read-only', () => {
  it('--dry-run --check beside a real build that holds the lock: runs, and leaves that lock alone', async () => {
    const dir = testdir({
      'mlci.config.mjs': `export default { plugins: [{ name: 'slow-deployer', apply(mlci) {
        mlci.hooks.version.tapPromise('slow-deployer', async () => ({ version: '1.0.0' }))
        mlci.hooks.deploy.tapPromise('slow-deployer', async (request, ctx) => {
          ctx.log.info('deploying now')
          // A server-like wait: a timer keeps the process alive until Ctrl-C.
          const alive = setInterval(() => {}, 1000)
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
          clearInterval(alive)
        })
      } }] }`,
    })
    const real = spawn(process.execPath, [join(__dirname, '../../packages/cli/bin/mlci.js'), 'build'], { cwd: dir, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    const closed = new Promise((resolve) => real.on('close', resolve))
    await new Promise<void>((resolve) => real.stdout.on('data', (d: Buffer) => String(d).includes('deploying now') && resolve()))
    const held = readFileSync(join(dir, '.mlci', 'lock'), 'utf8')
    const dry = await runCli(['build', '--dry-run', '--check'], { cwd: dir })
    expect(dry.code, dry.output).toBe(0)
    expect(dry.output).not.toContain('holds the repo lock')
    expect(readFileSync(join(dir, '.mlci', 'lock'), 'utf8')).toBe(held)
    real.kill('SIGINT')
    await closed
    expect(lockExists(dir)).toBe(false)
  })

  it('--dry-run leaves a stale lock where it is (only a real run reclaims it)', async () => {
    const holder = { pid: 999_999, command: 'mlci build', startedAt: new Date().toISOString(), hostname: hostname() }
    const { dir, lockFile } = projectWithLock(holder)
    const r = await runCli(['build', '--dry-run'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toEqual(holder)
  })
})
