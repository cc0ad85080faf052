import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ContentStore, Mlci, createEmbeddedRegistry, definePlugin, resolveConfig, sha256File, type LogEntry, type MlciPlugin, type RunOptions } from '@mlci/core'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../test/helpers/testdir.js'
import semver, { type SemverOptions } from './index.js'

// In-process runs with small inline trainer/deployer plugins: the paths the fixture test does
// not reach (deployers, dry runs, tags, abandoned records). The fixture test covers the real thing.

interface Model { content: string; metrics: Record<string, number>; features?: string[]; tamper?: boolean; data?: string }

const trainer = (model: Model, phase: 'train' | 'verify' = 'train') => definePlugin(() => ({
  name: 'inline-trainer',
  apply(mlci) {
    mlci.hooks[phase].tapPromise('inline-trainer', async (ctx) => {
      const file = join(ctx.cwd, 'out/model.bin')
      await mkdir(join(ctx.cwd, 'out'), { recursive: true })
      await writeFile(file, model.content)
      const { digest, size } = await sha256File(file)
      if (model.tamper) await writeFile(file, 'changed after training')
      ctx.data.artifacts = [{ path: 'out/model.bin', digest, size }]
      ctx.data.params = { content: model.content }
      ctx.data.signature = { inputs: (model.features ?? ['x', 'y']).map((name) => ({ name, type: 'float' })), outputs: { classes: ['a', 'b'] } }
      ctx.data.metrics = model.metrics
      // As the real trainer does for its declared data files: their content digest (the +data.<hash>).
      ctx.data.dataset = { digest: `sha256:${createHash('sha256').update(model.data ?? 'rows').digest('hex')}`, files: 1, patterns: ['data.csv'] }
    })
  },
}))()

const deployer = (behaviour: { fail?: boolean }) => definePlugin(() => ({
  name: 'inline-deployer',
  apply(mlci) {
    mlci.hooks.deploy.tapPromise('inline-deployer', async (request, ctx) => {
      if (behaviour.fail) throw new Error('container never became healthy')
      // A deployer reports what runs; core's release state moves the aliases.
      ctx.data.deployment = { version: request.version, target: 'inline' }
    })
  },
}))()

async function run(dir: string, plugins: MlciPlugin[], options: RunOptions = {}) {
  const mlci = new Mlci({ config: await resolveConfig({ plugins }, undefined, dir), cache: false })
  const log: LogEntry[] = []
  mlci.on('log', (entry) => log.push(entry))
  const result = await mlci.run({ command: 'mlci build', ...options })
  return { ...result, log: log.map((e) => e.message).join('\n') }
}

const registryOf = (dir: string) => createEmbeddedRegistry(join(dir, '.mlci'))
const GATE: SemverOptions['gate'] = { accuracy: { min: 0.8, maxDrop: 0.05 } }

describe('semver plugin in a run', () => {
  it('with a deployer: the version becomes ready and live once deployed, moved by core (not the deployer)', async () => {
    const dir = testdir()
    const model: Model = { content: 'm1', metrics: { accuracy: 0.9 } }
    const result = await run(dir, [trainer(model), semver({ gate: GATE }), deployer({})])
    expect(result.error).toBeUndefined()
    const registry = registryOf(dir)
    const [v] = await registry.list()
    expect(v).toMatchObject({ status: 'ready', runId: result.record.id, extra: { semver: { bump: 'initial' } } })
    expect((await registry.ledger()).map((m) => [m.kind ?? 'alias', m.alias, m.to, m.by])).toEqual([['status', v.version, 'ready', 'mlci build'], ['alias', 'live', v.version, 'mlci build']])
  })

  it('a failed deploy marks the version failed with the error; a skipped deploy leaves it pending and does not promote', async () => {
    const dir = testdir()
    const model: Model = { content: 'm1', metrics: { accuracy: 0.9 } }
    const failing = await run(dir, [trainer(model), semver({ gate: GATE }), deployer({ fail: true })])
    expect(failing.error).toBeDefined()
    const registry = registryOf(dir)
    expect((await registry.list())[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^0\.1\.0\+data\.\w+ failed in deploy: .*container never became healthy/) })

    model.content = 'm2'
    const skipped = await run(dir, [trainer(model), semver({ gate: GATE }), deployer({})], { skip: ['deploy'] })
    expect(skipped.error).toBeUndefined()
    expect(skipped.log).toContain('was not released: the deploy phase did not run, so it stays pending')
    expect((await registry.list()).map((v) => [v.version.split('+')[0], v.status])).toEqual([['0.1.0', 'failed'], ['0.1.1', 'pending']])
    expect(await registry.aliases()).toEqual({})
  })

  it('--dry-run computes and prints the version and writes nothing', async () => {
    const dir = testdir()
    // Metrics known without training (as after a cache restore): the inline trainer taps verify.
    const result = await run(dir, [trainer({ content: 'm1', metrics: { accuracy: 0.9 } }, 'verify'), semver({ gate: GATE })], { dryRun: true })
    expect(result.error).toBeUndefined()
    expect(result.log).toMatch(/Dry run: would record 0\.1\.0\+data\.[0-9a-f]{7} \(initial: first version\); nothing written\./)
    expect(result.record.data.candidate?.version).toMatch(/^0\.1\.0\+/)
    expect(existsSync(join(dir, '.mlci/registry'))).toBe(false)
    expect(existsSync(join(dir, '.mlci/objects'))).toBe(false)
  })

  it('refuses an artifact changed after training; a gated metric the training does not record is a config error, not a veto', async () => {
    const dir = testdir()
    const tampered = await run(dir, [trainer({ content: 'm1', metrics: { accuracy: 0.9 }, tamper: true }), semver({ gate: GATE })])
    expect(tampered.error).toMatchObject({ code: 'MLCI_STATE_CONFLICT', message: expect.stringContaining('Artifact out/model.bin changed after training') })
    expect(await registryOf(dir).list()).toEqual([])
    const missing = await run(dir, [trainer({ content: 'm1', metrics: { loss: 0.1 } }), semver({ gate: GATE })])
    expect(missing.error).toMatchObject({ code: 'MLCI_CONFIG_INVALID', message: expect.stringContaining('The gate checks "accuracy", which the training does not record (it records: loss)') })
    expect(missing.record.status).toBe('failed')
  })

  it('fails a pending version left by a dead process and moves on to the next number', async () => {
    const dir = testdir()
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
    await registryOf(dir).create({ version: '0.1.0', runId: 'crashed-run', fingerprint: 'other inputs', createdBy: { pid: deadPid, host: hostname() } })
    await registryOf(dir).create({ version: '0.1.1', runId: 'running-elsewhere', fingerprint: 'x', createdBy: { pid: process.pid, host: hostname() } })
    const result = await run(dir, [trainer({ content: 'm1', metrics: { accuracy: 0.9 } }), semver({ gate: GATE })])
    expect(result.error).toBeUndefined()
    const versions = await registryOf(dir).list()
    expect(versions.map((v) => [v.version.split('+')[0], v.status])).toEqual([['0.1.0', 'failed'], ['0.1.1', 'pending'], ['0.1.2', 'ready']])
    expect(versions[0].reason).toBe(`abandoned: run crashed-run stopped before releasing it (process ${deadPid} on ${hostname()} is gone)`)
  })

  it('tags the model commit model-vX.Y.Z (annotated) once ready, and records commit and dirty flag', async () => {
    const dir = testdir({ '.gitignore': 'out/\n.mlci/\n', 'train.py': 'print(1)\n' })
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim()
    git('init', '-q')
    git('add', '.')
    git('commit', '-q', '-m', 'init')
    const head = git('rev-parse', 'HEAD')
    const result = await run(dir, [trainer({ content: 'm1', metrics: { accuracy: 0.9 } }), semver({ gate: GATE, gitTag: true, buildMetadata: false })])
    expect(result.error).toBeUndefined()
    expect(await registryOf(dir).get('0.1.0')).toMatchObject({ version: '0.1.0', status: 'ready', git: { commit: head, dirty: false } })
    expect(git('cat-file', '-t', 'model-v0.1.0')).toBe('tag')
    expect(git('rev-parse', 'model-v0.1.0^{commit}')).toBe(head)

    await writeFile(join(dir, 'train.py'), 'print(2)\n')
    await run(dir, [trainer({ content: 'm2', metrics: { accuracy: 0.95 } }), semver({ gate: GATE, gitTag: true, buildMetadata: false })])
    expect(await registryOf(dir).get('0.2.0')).toMatchObject({ status: 'ready', git: { commit: head, dirty: true } })
  })

  it('a rebuild of the live version passes a minImprovement gate, reuses it and heals its pruned blob', async () => {
    const dir = testdir()
    const model: Model = { content: 'm1', metrics: { accuracy: 0.9 } }
    const plugins = () => [trainer(model), semver({ gate: { accuracy: { min: 0.5, minImprovement: 0.01 } } })]
    expect((await run(dir, plugins())).error).toBeUndefined()
    const [v] = await registryOf(dir).list()
    const blob = new ContentStore(join(dir, '.mlci/objects')).path(v.artifacts![0].digest)
    rmSync(blob)
    const again = await run(dir, plugins())
    expect(again.error).toBeUndefined()
    expect(again.log).toContain(`pass (same inputs as ${v.version}: relative check skipped)`)
    expect(again.record.data.candidate).toMatchObject({ version: v.version, reused: true, bump: 'none' })
    expect(existsSync(blob)).toBe(true)
    model.content = 'm2'
    expect((await run(dir, plugins())).error).toMatchObject({ code: 'MLCI_VETOED', message: expect.stringContaining('accuracy unchanged at 0.9, not the 0.01 better required') })
  })

  it('records a version proposed by an earlier tap as given; ignores a stale candidate carried over from an earlier run', async () => {
    const dir = testdir()
    const forcing = definePlugin(() => ({
      name: 'force-version',
      apply(mlci) {
        mlci.hooks.version.tapPromise({ name: 'force-version', stage: -100 }, async (proposal) => proposal ?? { version: '2.0.0', bump: 'custom', reason: 'forced by policy' })
      },
    }))()
    const forced = await run(dir, [trainer({ content: 'm1', metrics: { accuracy: 0.9 } }), semver({ gate: GATE }), forcing])
    expect(forced.error).toBeUndefined()
    expect((await registryOf(dir).list()).map((v) => [v.version, v.status, (v.extra?.semver as { reason: string }).reason])).toEqual([['2.0.0', 'ready', 'forced by policy']])

    const mlci = new Mlci({ config: await resolveConfig({ plugins: [trainer({ content: 'm2', metrics: { accuracy: 0.9 } }), semver({ gate: GATE })] }, undefined, dir), cache: false })
    const stale = { candidate: { version: '2.0.0', bump: 'initial', reason: 'earlier cycle', fingerprint: 'sha256:old' } }
    const result = await mlci.run({ command: 'mlci watch' }, undefined, { data: stale })
    expect(result.error).toBeUndefined()
    expect(result.record.data.candidate?.version).toMatch(/^2\.0\.1\+data\./)
  })

  it('rejects bad options before anything runs', () => {
    expect(() => semver({ first: 'one' })).toThrow(/first must be a semantic version/)
    expect(() => semver({ gate: { accuracy: { min: 0.9, max: 0.5 } } })).toThrow(/min \(0\.9\) is above max \(0\.5\)/)
    expect(() => semver({ gate: { accuracy: { higherIsBetter: true } } })).toThrow(/has no threshold/)
    expect(() => semver({ gate: { accuracy: { minimum: 1 } } } as unknown as SemverOptions)).toThrow(/gate\.accuracy\.minimum is not a known option/)
    expect(() => semver({ minorOn: -1 })).toThrow(expect.objectContaining({ code: 'MLCI_PLUGIN_OPTIONS', message: expect.stringContaining("minorOn must be a number ≥ 0 (absolute, in the metric's units) or a percentage string like '2%' (relative), got -1") }))
    expect(() => semver({ gate: { rmse: { maxDrop: '5 percent' as '5%' } } })).toThrow(/gate\.rmse\.maxDrop must be a number ≥ 0 .* got "5 percent"/)
    expect(() => semver({ gate: { rmse: { maxDrop: '5%', direction: 'higher', higherIsBetter: false } } })).toThrow(/keep only direction/)
    expect(() => semver({ minorOn: { ranking_quality: '1%' } })).toThrow(/minorOn\.ranking_quality: mlci cannot tell/)
  })
})
