import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { FAULT_PLUGINS } from './plugins.js'
import { gone, lastRecord, lockExists } from './records.js'

function project(config: string): string {
  return testdir({ 'plugins.mjs': FAULT_PLUGINS, 'mlci.config.mjs': config })
}

/** Resolves when `text` appears in the child's output (event, not a fixed sleep). */
function whenOutput(child: import('node:child_process').ChildProcess, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = ''
    const on = (d: Buffer) => {
      seen += d
      if (seen.includes(text)) {
        child.stdout?.off('data', on)
        child.stderr?.off('data', on)
        resolve()
      }
    }
    child.stdout?.on('data', on)
    child.stderr?.on('data', on)
  })
}

describe('every run ends with a true status', () => {
  it('a deploy tap that never settles (nothing else pending): build exits 1, the record names deploy and the plugin, no lock is left', async () => {
    const dir = project(`import { proposer, hang } from './plugins.mjs'
      export default { plugins: [proposer(), hang({ name: 'stuck-deployer' })] }`)
    const r = await runCli(['build'], { cwd: dir, timeoutMs: 30_000 })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('never settled')
    const record = lastRecord(dir)
    expect(record.status).toBe('failed')
    expect(record.error).toMatchObject({ code: 'MLCI_NEVER_SETTLED', phase: 'deploy', plugin: 'stuck-deployer' })
    expect(record.phases.find((p: any) => p.name === 'deploy').status).toBe('failed')
    expect(lockExists(dir)).toBe(false)
  })

  it("timeouts: { test: '2s' } with a hanging test tap (a timer keeps Node alive): fails after about 2 s naming phase and plugin", async () => {
    const dir = project(`import { hang } from './plugins.mjs'
      export default { timeouts: { test: '2s' }, plugins: [hang({ name: 'slow-tests', phase: 'test', timer: true })] }`)
    const r = await runCli(['build'], { cwd: dir, timeoutMs: 30_000 })
    expect(r.code, r.output).toBe(1)
    expect(r.durationMs).toBeGreaterThan(1900)
    expect(r.durationMs).toBeLessThan(12_000)
    expect(r.stderr).toMatch(/test timed out after 2s: slow-tests was still running/)
    expect(lastRecord(dir).error).toMatchObject({ code: 'MLCI_PHASE_TIMEOUT', phase: 'test', plugin: 'slow-tests' })
    expect(lockExists(dir)).toBe(false)
  })

  it("a timed-out test tap's command is killed with its whole process group", async () => {
    const dir = project(`import { run } from './plugins.mjs'
      export default { timeouts: { test: '1s' }, plugins: [run({ name: 'sleeper', argv: ['sh', '-c', 'sleep 300 & echo $! > bg.pid; echo $$ > sh.pid; wait'] })] }`)
    const r = await runCli(['build'], { cwd: dir, timeoutMs: 30_000 })
    expect(r.code, r.output).toBe(1)
    expect(lastRecord(dir).error).toMatchObject({ code: 'MLCI_PHASE_TIMEOUT', plugin: 'sleeper' })
    for (const file of ['bg.pid', 'sh.pid']) {
      const pid = Number(readFileSync(join(dir, file), 'utf8'))
      expect(await gone(pid), `${file} ${pid} still running`).toBe(true)
    }
  })

  it('a deploy timeout rolls back', async () => {
    const dir = project(`import { proposer, hang, note } from './plugins.mjs'
      export default { timeouts: { deploy: '1s' }, plugins: [proposer(), hang({ name: 'slow-deployer', timer: true }), note({ name: 'restorer', hooks: ['rollback'], file: 'calls.txt' })] }`)
    const r = await runCli(['build'], { cwd: dir, timeoutMs: 30_000 })
    expect(r.code, r.output).toBe(1)
    const record = lastRecord(dir)
    expect(record.error).toMatchObject({ code: 'MLCI_PHASE_TIMEOUT', phase: 'deploy', plugin: 'slow-deployer' })
    expect(record.phases.find((p: any) => p.name === 'rollback')?.status).toBe('ok')
    expect(readFileSync(join(dir, 'calls.txt'), 'utf8')).toBe('rollback restorer\n')
  })

  it('first SIGINT prints what it stops and ends the run as interrupted (130, record, no lock)', async () => {
    const dir = project(`import { proposer, hang } from './plugins.mjs'
      export default { plugins: [proposer(), hang({ name: 'deaf-deployer', timer: true })] }`)
    const r = await runCli(['build'], {
      cwd: dir, timeoutMs: 30_000,
      onSpawn: (child) => void whenOutput(child, 'hanging now').then(() => child.kill('SIGINT')),
    })
    expect(r.code, r.output).toBe(130)
    expect(r.stderr).toMatch(/SIGINT: stopping deploy \(deaf-deployer, running [^)]+\).*Press Ctrl-C again to force/)
    expect(lastRecord(dir).status).toBe('interrupted')
    expect(lockExists(dir)).toBe(false)
  })

  it('a second SIGINT forces the exit at once and leaves no lock', async () => {
    const dir = project(`import { proposer, hang } from './plugins.mjs'
      export default { plugins: [proposer(), hang({ name: 'deaf-deployer', timer: true })] }`)
    const r = await runCli(['build'], {
      cwd: dir, timeoutMs: 30_000,
      onSpawn: (child) => void whenOutput(child, 'hanging now').then(() => {
        child.kill('SIGINT')
        return whenOutput(child, 'Press Ctrl-C again')
      }).then(() => child.kill('SIGINT')),
    })
    expect(r.code, r.output).toBe(130)
    expect(r.stderr).toContain('SIGINT again')
    expect(lockExists(dir)).toBe(false)
  })

  it('a timeouts entry that is not a duration or not a phase is a config error (exit 2)', async () => {
    const dir = project(`export default { timeouts: { deploy: '-5m', tset: '1m' }, plugins: [] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('timeouts.deploy "-5m" is not a duration')
    expect(r.stderr).toContain('timeouts.tset is not a phase')
  })
})
