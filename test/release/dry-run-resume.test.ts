import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { treeSnapshot } from '../helpers/tree.js'
import { registryState } from '../rollback/project.js'
import { versionedProject } from './pipeline.js'

// #12: `mlci build --dry-run` predicts exactly what the real build does. With a version left
// pending by a run that died, the real build resumes it; the dry run must say so (it used to
// predict the next number) and stay read-only.

describe('dry run with a pending version', { timeout: 180_000 }, () => {
  it('says it would resume the pending version, writes nothing, and the real build then resumes it', async () => {
    const dir = versionedProject()
    // Killed once the version is recorded (pending), before it is made ready.
    const crashed = await runCli(['build'], { cwd: dir, env: { MLCI_TEST_CRASH_AT: 'before-ready' } })
    expect(crashed.signal, crashed.output).toBe('SIGKILL')
    const [pending] = Object.keys(registryState(dir).versions)
    expect(registryState(dir).versions[pending].status).toBe('pending')

    const before = treeSnapshot(join(dir, '.mlci'))
    const dry = await runCli(['build', '--dry-run'], { cwd: dir })
    expect(dry.code, dry.output).toBe(0)
    expect(dry.output).toContain(`Dry run: would resume ${pending}`)
    expect(dry.output).not.toMatch(/would record/)
    expect(treeSnapshot(join(dir, '.mlci'))).toEqual(before)

    const real = await runCli(['build'], { cwd: dir })
    expect(real.code, real.output).toBe(0)
    expect(real.output).toContain(`Resuming ${pending}`)
    const after = registryState(dir)
    expect(Object.keys(after.versions)).toEqual([pending])
    expect(after.versions[pending].status).toBe('ready')
  })
})
