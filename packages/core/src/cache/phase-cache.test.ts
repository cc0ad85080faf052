import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../../test/helpers/testdir.js'
import type { LoadedPlugin } from '../config.js'
import type { LogEntry } from '../logger.js'
import { Mlci } from '../mlci.js'
import type { PhaseRecord } from '../run-record.js'
import type { RunOptions } from '../context.js'
import { ContentStore } from '../store/content-store.js'
import { StatCache } from '../hash/stat-cache.js'
import { cacheStatus, collectGarbage, clearCache, evictToLimit } from './gc.js'

interface FakeOptions {
  version?: string
  params?: Record<string, unknown>
  /** Declare nothing for train (the phase then cannot be cached). */
  undeclared?: boolean
  failTrain?: boolean
  /** Called inside the train tap (to abort mid-phase). */
  duringTrain?: () => void
}

/** A fake trainer: train reads data.csv + src/, writes out/; evaluate reads out/model.txt. */
function fakeTrainer(counts: { train: number; evaluate: number }, o: FakeOptions = {}): LoadedPlugin {
  const name = 'fake-trainer'
  const version = o.version ?? '0.1.0'
  const params = o.params ?? { lr: 0.1 }
  return {
    source: 'config', version,
    plugin: {
      name, version,
      apply(mlci) {
        if (!o.undeclared) mlci.declare({ phase: 'train', inputs: ['data.csv', 'src', '**/*.cfg'], outputs: ['out/model.txt', 'out/weights'], params, env: ['MLCI_X'] })
        mlci.declare({ phase: 'evaluate', inputs: ['out/model.txt'], outputs: ['out/eval.json'] })
        mlci.hooks.train.tapPromise(name, async (ctx) => {
          counts.train++
          ctx.log.output('epoch 1/1 loss=0.5')
          o.duringTrain?.()
          if (o.failTrain) throw new Error('training diverged')
          const data = readFileSync(join(ctx.cwd, 'data.csv'), 'utf8')
          writeFileSync(join(ctx.cwd, 'out/model.txt'), `model of ${data.trim()} with ${JSON.stringify(params)}`)
          writeFileSync(join(ctx.cwd, 'out/weights/w.bin'), Buffer.alloc(700, counts.train))
          ctx.data.metrics = { accuracy: data.length / 100 }
        })
        mlci.hooks.evaluate.tapPromise(name, async (ctx) => {
          counts.evaluate++
          const model = readFileSync(join(ctx.cwd, 'out/model.txt'), 'utf8')
          writeFileSync(join(ctx.cwd, 'out/eval.json'), JSON.stringify({ length: model.length }))
          ctx.data.metrics = { ...ctx.data.metrics, evaluated: model.length }
        })
      },
    },
  }
}

function project(): string {
  const dir = testdir({ 'data.csv': 'a,b\n1,2\n', 'src/model.py': 'def f(): pass\n', 'src/util.py': 'X = 1\n', 'out/weights/.keep': '' })
  rmSync(join(dir, 'out/weights/.keep'))
  return dir
}

async function build(dir: string, plugin: LoadedPlugin, options: RunOptions = {}, extra: { env?: NodeJS.ProcessEnv; maxSizeMB?: number } = {}) {
  const mlci = new Mlci({ config: { root: dir, plugins: [plugin], cache: extra.maxSizeMB === undefined ? undefined : { maxSizeMB: extra.maxSizeMB } }, env: extra.env ?? { PATH: process.env.PATH } })
  const log: LogEntry[] = []
  mlci.on('log', (e) => log.push(e))
  const result = await mlci.run({ only: ['train', 'evaluate'], ...options })
  const phase = (name: string) => result.record.phases.find((p) => p.name === name) as PhaseRecord
  return { result, log, phase, warnings: log.filter((e) => e.level === 'warn').map((e) => e.message) }
}

function snapshot(dir: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath, entry.name)
    out[relative(dir, file)] = entry.isFile() ? statSync(file).mtimeMs : 0
  }
  return out
}

function entryBlobs(dir: string, phase: string): string[] {
  const entries = join(dir, '.mlci/cache/entries', phase)
  return readdirSync(entries).filter((f) => f.endsWith('.json') && !f.endsWith('.parts.json'))
    .flatMap((f) => (JSON.parse(readFileSync(join(entries, f), 'utf8')).outputs as { digest: string }[]).map((o) => o.digest))
}

describe('phase cache: hits and misses', () => {
  it('runs once, then restores outputs and data without running', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    const first = await build(dir, fakeTrainer(counts))
    expect(first.result.error).toBeUndefined()
    expect(first.phase('train')).toMatchObject({ status: 'ok', reasons: ['no previous run'] })
    expect(counts).toEqual({ train: 1, evaluate: 1 })

    rmSync(join(dir, 'out'), { recursive: true })
    const second = await build(dir, fakeTrainer(counts), { explain: true })
    expect(second.result.error).toBeUndefined()
    expect(counts).toEqual({ train: 1, evaluate: 1 })
    expect(second.phase('train').status).toBe('cached')
    expect(second.phase('evaluate').status).toBe('cached')
    expect(readFileSync(join(dir, 'out/model.txt'), 'utf8')).toBe('model of a,b\n1,2 with {"lr":0.1}')
    expect(readFileSync(join(dir, 'out/weights/w.bin'))).toEqual(Buffer.alloc(700, 1))
    expect(second.result.record.data.metrics).toEqual({ accuracy: 0.08, evaluated: first.result.record.data.metrics!.evaluated })
    expect(second.log.map((e) => e.message)).toContain('train: cached — inputs unchanged')
    // The captured log is replayed at debug level (shown with --verbose).
    expect(second.log.some((e) => e.level === 'debug' && e.message === '(replay) epoch 1/1 loss=0.5')).toBe(true)
  })

  it('leaves identical outputs untouched and puts back an output edited by hand', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts))
    const weights = join(dir, 'out/weights/w.bin')
    const before = statSync(weights)
    writeFileSync(join(dir, 'out/model.txt'), 'tampered')
    const again = await build(dir, fakeTrainer(counts))
    expect(again.phase('train').status).toBe('cached')
    expect(counts.train).toBe(1)
    expect(statSync(weights)).toMatchObject({ ino: before.ino, mtimeMs: before.mtimeMs })
    expect(readFileSync(join(dir, 'out/model.txt'), 'utf8')).toBe('model of a,b\n1,2 with {"lr":0.1}')
  })

  it('names each reason a phase runs again', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    const env = { MLCI_X: 'secret-value-1' }
    const reasons = async (o: FakeOptions = {}, runOptions: RunOptions = {}, e = env) => {
      const r = await build(dir, fakeTrainer(counts, o), runOptions, { env: e })
      expect(r.result.error).toBeUndefined()
      return { train: r.phase('train').reasons, evaluate: r.phase('evaluate').reasons }
    }
    expect((await reasons()).train).toEqual(['no previous run'])
    expect((await reasons()).train).toEqual([])

    writeFileSync(join(dir, 'data.csv'), 'a,b\n1,3\n')
    expect(await reasons()).toEqual({ train: ['changed: data.csv'], evaluate: ['upstream train changed', 'changed: out/model.txt'] })
    writeFileSync(join(dir, 'src/new.py'), 'Y = 2\n')
    writeFileSync(join(dir, 'src/sub.cfg'), 'k=v\n')
    expect((await reasons()).train).toEqual(['added: src/new.py', 'added: src/sub.cfg'])
    rmSync(join(dir, 'src/util.py'))
    expect((await reasons()).train).toEqual(['removed: src/util.py'])
    expect((await reasons({ params: { lr: 0.2 } })).train).toEqual(['params changed (fake-trainer)'])
    expect((await reasons({ params: { lr: 0.2 } }, {}, { MLCI_X: 'secret-value-2' })).train).toEqual(['env MLCI_X changed'])
    expect((await reasons({ params: { lr: 0.2 }, version: '0.2.0' }, {}, { MLCI_X: 'secret-value-2' })).train).toEqual(['plugin fake-trainer 0.1.0 → 0.2.0'])
    const forced = await reasons({ params: { lr: 0.2 }, version: '0.2.0' }, { force: ['train'] }, { MLCI_X: 'secret-value-2' })
    expect(forced).toEqual({ train: ['forced'], evaluate: [] })
    // Env values are hashed, never stored.
    const stored = readdirSync(join(dir, '.mlci/cache/entries/train')).map((f) => readFileSync(join(dir, '.mlci/cache/entries/train', f), 'utf8')).join('')
    expect(stored).toContain('MLCI_X')
    expect(stored).not.toContain('secret-value')
  })

  it('fingerprints an upstream phase that is not selected (--only evaluate hits)', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts))
    const only = await build(dir, fakeTrainer(counts), { only: ['evaluate'] })
    expect(only.phase('evaluate').status).toBe('cached')
    writeFileSync(join(dir, 'data.csv'), 'changed\n')
    const after = await build(dir, fakeTrainer(counts), { only: ['evaluate'], dryRun: true, check: true })
    expect(after.phase('evaluate')).toMatchObject({ status: 'stale', reasons: ['upstream train changed'] })
  })

  it('never caches a phase a plugin taps without declaring its inputs', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts, { undeclared: true }))
    const second = await build(dir, fakeTrainer(counts, { undeclared: true }))
    expect(counts).toEqual({ train: 2, evaluate: 2 })
    expect(second.phase('train').reasons).toEqual(['not cacheable: fake-trainer declares no inputs for train'])
    expect(second.phase('evaluate').reasons).toEqual(['not cacheable: upstream train is not cacheable'])
    expect(existsSync(join(dir, '.mlci/cache/entries/train'))).toBe(false)
  })
})

describe('phase cache: integrity', () => {
  it('evicts an entry whose stored blob has a flipped byte, warns, and runs the phase again', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts))
    const store = new ContentStore(join(dir, '.mlci/objects'))
    const modelDigest = (JSON.parse(readFileSync(join(dir, '.mlci/cache/entries/train', readdirSync(join(dir, '.mlci/cache/entries/train')).find((f) => !f.includes('parts'))!), 'utf8')).outputs as { path: string; digest: string }[])
      .find((o) => o.path === 'out/model.txt')!.digest
    const blob = store.path(modelDigest)
    const bytes = readFileSync(blob)
    bytes[3] ^= 0x20
    writeFileSync(blob, bytes)

    const second = await build(dir, fakeTrainer(counts))
    expect(second.result.error).toBeUndefined()
    expect(counts.train).toBe(2)
    expect(second.phase('train').status).toBe('ok')
    expect(second.phase('train').reasons![0]).toMatch(/^cache entry evicted: the stored copy of out\/model\.txt \(sha256:[0-9a-f]{12}…\) is corrupt$/)
    expect(second.warnings.some((w) => /Cache entry for train .* is not usable: .*out\/model\.txt.* evicted\. train runs again\./.test(w))).toBe(true)
    // The re-run stored a good copy again: the next build is a verified hit.
    expect(readFileSync(blob).toString()).toContain('model of')
    const third = await build(dir, fakeTrainer(counts))
    expect(third.phase('train').status).toBe('cached')
    expect(counts.train).toBe(2)
  })

  it('treats a missing blob the same way', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts))
    for (const digest of entryBlobs(dir, 'train')) rmSync(new ContentStore(join(dir, '.mlci/objects')).path(digest), { force: true })
    const second = await build(dir, fakeTrainer(counts))
    expect(counts.train).toBe(2)
    expect(second.phase('train').reasons![0]).toMatch(/is missing$/)
  })

  it('ignores leftover temp files and evicts a torn entry instead of using it', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts))
    const entries = join(dir, '.mlci/cache/entries/train')
    const entryFile = readdirSync(entries).find((f) => f.endsWith('.json') && !f.endsWith('.parts.json'))!
    // A crash mid-write leaves only a temp file beside the entry: it is not an entry.
    writeFileSync(join(entries, `${entryFile}.4242.deadbeef.tmp`), '{"schema":1,"phase":"tr')
    expect((await build(dir, fakeTrainer(counts))).phase('train').status).toBe('cached')
    // An entry file that is not a whole, valid entry is never used.
    const text = readFileSync(join(entries, entryFile), 'utf8')
    writeFileSync(join(entries, entryFile), text.slice(0, text.length / 2))
    const torn = await build(dir, fakeTrainer(counts))
    expect(torn.phase('train').status).toBe('ok')
    expect(counts.train).toBe(2)
    expect(torn.warnings.some((w) => w.includes('unreadable'))).toBe(true)
    expect(JSON.parse(readFileSync(join(entries, entryFile), 'utf8')).phase).toBe('train')
  })

  it('writes no entry for a failed or interrupted phase', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    const failed = await build(dir, fakeTrainer(counts, { failTrain: true }))
    expect(failed.result.error).toBeDefined()
    expect(existsSync(join(dir, '.mlci/cache/entries/train'))).toBe(false)

    const controller = new AbortController()
    const mlci = new Mlci({ config: { root: dir, plugins: [fakeTrainer(counts, { duringTrain: () => controller.abort() })] }, env: {} })
    const interrupted = await mlci.run({ only: ['train', 'evaluate'] }, controller.signal)
    expect(interrupted.record.status).toBe('interrupted')
    expect(existsSync(join(dir, '.mlci/cache/entries/train'))).toBe(false)
  })

  it('restores only data under --dry-run and writes nothing', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts))
    rmSync(join(dir, 'out'), { recursive: true })
    const before = snapshot(dir)
    const dry = await build(dir, fakeTrainer(counts), { dryRun: true })
    expect(dry.result.error).toBeUndefined()
    expect(dry.phase('train').status).toBe('cached')
    expect(dry.result.record.data.metrics?.accuracy).toBe(0.08)
    expect(counts.train).toBe(1)
    expect(snapshot(dir)).toEqual(before)
  })
})

describe('phase cache: size limit and gc', () => {
  it('evicts least recently used entries beyond cache.maxSizeMB, never the one just written', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    const limit = 2.5 / 1024 // ~2.5 KB: room for about one train entry
    for (const data of ['v1\n', 'v2\n', 'v3\n']) {
      writeFileSync(join(dir, 'data.csv'), data)
      const r = await build(dir, fakeTrainer(counts), { only: ['train'] }, { maxSizeMB: limit })
      expect(r.result.error).toBeUndefined()
    }
    const entries = readdirSync(join(dir, '.mlci/cache/entries/train')).filter((f) => !f.endsWith('.parts.json'))
    expect(entries).toHaveLength(1)
    // The survivor is v3's; v1 was evicted with its blobs, so going back re-runs.
    const store = new ContentStore(join(dir, '.mlci/objects'))
    for (const digest of entryBlobs(dir, 'train')) expect(existsSync(store.path(digest))).toBe(true)
    writeFileSync(join(dir, 'data.csv'), 'v3\n')
    expect((await build(dir, fakeTrainer(counts), { only: ['train'] })).phase('train').status).toBe('cached')
    writeFileSync(join(dir, 'data.csv'), 'v1\n')
    expect((await build(dir, fakeTrainer(counts), { only: ['train'] })).phase('train').status).toBe('ok')
  })

  it('uses LRU order: a recently restored entry outlives a newer unused one', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    for (const data of ['old\n', 'new\n', 'old\n']) {
      writeFileSync(join(dir, 'data.csv'), data)
      await build(dir, fakeTrainer(counts), { only: ['train'] })
      await new Promise((r) => setTimeout(r, 20)) // distinct mtimes
    }
    expect(counts.train).toBe(2) // the third build restored 'old'
    const status = await cacheStatus(join(dir, '.mlci'), 0)
    expect(status.entries).toHaveLength(2)
    const report = await evictToLimit(join(dir, '.mlci'), status.bytes - 1)
    expect(report.evicted).toHaveLength(1)
    expect((await build(dir, fakeTrainer(counts), { only: ['train'] })).phase('train').status).toBe('cached')
  })

  it('gc removes unreferenced blobs but keeps every blob the registry names; clear too', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts))
    const store = new ContentStore(join(dir, '.mlci/objects'))
    const registered = entryBlobs(dir, 'train')[0]
    writeFileSync(join(dir, 'orphan.bin'), 'nobody names me')
    const orphan = (await store.put(join(dir, 'orphan.bin'))).digest
    writeFileSync(join(dir, 'released.bin'), 'a released model')
    const released = (await store.put(join(dir, 'released.bin'))).digest
    rmSync(join(dir, '.mlci/registry'), { recursive: true, force: true })
    const versionFile = join(dir, '.mlci/registry/versions/1.0.0.json')
    testdirWrite(versionFile, JSON.stringify({ version: '1.0.0', artifacts: [{ path: 'out/model.txt', digest: registered }, { path: 'released.bin', digest: released }] }))

    const gc = await collectGarbage(join(dir, '.mlci'), 2048 * 1024 * 1024)
    expect(gc.unreferencedBlobs).toBe(1)
    expect(existsSync(store.path(orphan))).toBe(false)
    expect(existsSync(store.path(released))).toBe(true)
    expect(existsSync(store.path(registered))).toBe(true)

    // Evicting everything still keeps what the registry names.
    const all = await collectGarbage(join(dir, '.mlci'), 0)
    expect(all.evicted.length).toBeGreaterThan(0)
    expect(existsSync(store.path(registered))).toBe(true)
    expect(existsSync(store.path(released))).toBe(true)
    await build(dir, fakeTrainer(counts))
    const cleared = await clearCache(join(dir, '.mlci'))
    expect(cleared.entries).toBe(2)
    expect(existsSync(join(dir, '.mlci/cache'))).toBe(false)
    expect(existsSync(store.path(registered))).toBe(true)
    expect(existsSync(store.path(released))).toBe(true)
    expect(readdirSync(join(dir, '.mlci/objects/sha256'), { recursive: true }).filter((f) => String(f).length > 10)).toHaveLength(2)
  })

  it('gc keeps a blob only the journal names (a release step in flight)', async () => {
    const dir = project()
    await build(dir, fakeTrainer({ train: 0, evaluate: 0 }))
    const store = new ContentStore(join(dir, '.mlci/objects'))
    writeFileSync(join(dir, 'in-flight.bin'), 'being deployed')
    const inFlight = (await store.put(join(dir, 'in-flight.bin'))).digest
    writeFileSync(join(dir, '.mlci/journal.jsonl'), JSON.stringify({ type: 'intent', step: 'deploy', digest: inFlight }) + '\n')
    await collectGarbage(join(dir, '.mlci'), 2048 * 1024 * 1024)
    expect(existsSync(store.path(inFlight))).toBe(true)
  })
})

function testdirWrite(file: string, content: string): void {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, content)
}

/** A plugin that taps train without declaring anything (so train cannot be cached). */
function tapper(name: string): LoadedPlugin {
  return { source: 'config', version: '1.0.0', plugin: { name, version: '1.0.0', apply(mlci) { mlci.hooks.train.tapPromise(name, async () => undefined) } } }
}

function entryFiles(dir: string, phase: string): string[] {
  const entries = join(dir, '.mlci/cache/entries', phase)
  return existsSync(entries) ? readdirSync(entries).filter((f) => f.endsWith('.json') && !f.endsWith('.parts.json')) : []
}

function readEntry(dir: string, phase: string) {
  return JSON.parse(readFileSync(join(dir, '.mlci/cache/entries', phase, entryFiles(dir, phase)[0]), 'utf8'))
}

describe('phase cache: what it says and what it keeps', () => {
  it('warns once in every run that an undeclared phase is not cacheable, naming each plugin that taps it', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    const one = await build(dir, fakeTrainer(counts, { undeclared: true }), { only: ['train'] })
    const hint = "no inputs (mlci.declare({ phase: 'train', inputs: [...] }) in apply; docs/plugins.md, \"Caching and watch\")."
    expect(one.warnings).toEqual([`train is not cacheable and runs every time: fake-trainer taps it but declares ${hint}`])
    expect(one.log.find((e) => e.level === 'warn')).toMatchObject({ phase: 'train', plugin: 'cache' })

    // One Mlci running twice (as watch does): the warning comes again in the second run.
    const mlci = new Mlci({ config: { root: dir, plugins: [fakeTrainer(counts, { undeclared: true }), tapper('extra')] }, env: { PATH: process.env.PATH } })
    const log: LogEntry[] = []
    mlci.on('log', (e) => log.push(e))
    for (let run = 1; run <= 2; run++) {
      const result = await mlci.run({ only: ['train', 'evaluate'] })
      expect(result.record.phases.find((p) => p.name === 'train')?.reasons).toEqual(['not cacheable: fake-trainer, extra declares no inputs for train'])
      const warned = log.filter((e) => e.level === 'warn').map((e) => e.message)
      expect(warned).toEqual(Array(run).fill(`train is not cacheable and runs every time: fake-trainer, extra tap it but declare ${hint}`))
    }
  })

  it('under --dry-run a corrupt entry is reported but neither evicted nor its blob removed; a real run evicts it', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts), { only: ['train'] })
    const { fingerprint, outputs } = readEntry(dir, 'train')
    const blob = new ContentStore(join(dir, '.mlci/objects')).path(outputs[0].digest)
    writeFileSync(blob, 'flipped')
    const dry = await build(dir, fakeTrainer(counts), { only: ['train'], dryRun: true })
    const problem = `the stored copy of ${outputs[0].path} (${outputs[0].digest.slice(0, 19)}…) is corrupt`
    expect(dry.phase('train').reasons).toEqual([`cache entry not usable: ${problem}`])
    expect(dry.warnings).toEqual([`Cache entry for train (${fingerprint.slice(0, 12)}) is not usable: ${problem}. train runs again.`])
    expect(entryFiles(dir, 'train')).toHaveLength(1)
    expect(readFileSync(blob, 'utf8')).toBe('flipped')
    const real = await build(dir, fakeTrainer(counts), { only: ['train'] })
    expect(real.warnings).toEqual([`Cache entry for train (${fingerprint.slice(0, 12)}) is not usable: ${problem}; it was evicted. train runs again.`])
    expect(real.phase('train').reasons).toEqual([`cache entry evicted: ${problem}`])
  })

  it('an unreadable entry file is evicted (and said so)', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts), { only: ['train'] })
    writeFileSync(join(dir, '.mlci/cache/entries/train', entryFiles(dir, 'train')[0]), '{"schema":1,')
    const again = await build(dir, fakeTrainer(counts), { only: ['train'] })
    expect(again.phase('train').reasons).toEqual(['cache entry evicted: its entry file is unreadable'])
  })

  it('records the total output size, keeps the last 2000 log lines of a long phase, and saves the stat cache', async () => {
    const dir = project()
    const chatty: LoadedPlugin = {
      source: 'config', version: '1.0.0',
      plugin: {
        name: 'chatty', version: '1.0.0',
        apply(mlci) {
          mlci.declare({ phase: 'train', inputs: ['data.csv'], outputs: ['out/a.bin', 'out/b.bin'] })
          mlci.hooks.train.tapPromise('chatty', async (ctx) => {
            for (let i = 1; i <= 2005; i++) ctx.log.output(`line ${i}`)
            writeFileSync(join(ctx.cwd, 'out/a.bin'), Buffer.alloc(300))
            writeFileSync(join(ctx.cwd, 'out/b.bin'), Buffer.alloc(45))
          })
        },
      },
    }
    expect((await build(dir, chatty, { only: ['train'] })).result.error).toBeUndefined()
    const entry = readEntry(dir, 'train')
    expect(entry.size).toBe(345)
    expect(entry.log).toHaveLength(2001)
    expect(entry.log[0]).toMatchObject({ level: 'info', message: '(5 earlier lines not cached)', phase: 'train' })
    expect(entry.log.at(-1).message).toContain('line 2005')
    expect(entry.log[1].message).toContain('line 6')
    const stat = StatCache.load(join(dir, '.mlci/cache/stat-cache.bin'))
    expect(stat.keys()).toEqual(expect.arrayContaining(['data.csv', 'out/a.bin', 'out/b.bin']))
  })

  it('a --dry-run on a fresh project writes nothing, not even the env-hash key', async () => {
    const dir = project()
    const before = snapshot(dir)
    const dry = await build(dir, fakeTrainer({ train: 0, evaluate: 0 }), { dryRun: true })
    expect(dry.result.error).toBeUndefined()
    expect(snapshot(dir)).toEqual(before)
  })

  it('an entry larger than cache.maxSizeMB is still kept (the one just written is never evicted); older ones go, and it says how many', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    for (const data of ['v1\n', 'v2\n']) {
      writeFileSync(join(dir, 'data.csv'), data)
      await build(dir, fakeTrainer(counts), { only: ['train'] })
    }
    writeFileSync(join(dir, 'data.csv'), 'v3\n')
    const tiny = 1 / (1024 * 1024) // one byte
    const v3 = await build(dir, fakeTrainer(counts), { only: ['train'] }, { maxSizeMB: tiny })
    expect(v3.log.filter((e) => e.message.startsWith('Cache over')).map((e) => e.message)).toEqual(['Cache over 0 MB: evicted 2 least recently used entries.'])
    expect(entryFiles(dir, 'train')).toHaveLength(1)
    writeFileSync(join(dir, 'data.csv'), 'v4\n')
    const v4 = await build(dir, fakeTrainer(counts), { only: ['train'] }, { maxSizeMB: tiny })
    expect(v4.log.filter((e) => e.message.startsWith('Cache over')).map((e) => e.message)).toEqual(['Cache over 0 MB: evicted 1 least recently used entry.'])
    expect((await build(dir, fakeTrainer(counts), { only: ['train'] }, { maxSizeMB: tiny })).phase('train').status).toBe('cached')
    expect(v4.log.some((e) => e.message.startsWith('Cache over') && e.level === 'debug' && e.plugin === 'cache')).toBe(true)
  })

  it('a plugin that does not declare the phase can change version without invalidating it', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    const bystander = (version: string): LoadedPlugin => ({ source: 'config', version, plugin: { name: 'bystander', version, apply() {} } })
    const run = (version: string) => {
      const mlci = new Mlci({ config: { root: dir, plugins: [fakeTrainer(counts), bystander(version)] }, env: { PATH: process.env.PATH } })
      return mlci.run({ only: ['train'] })
    }
    await run('1.0.0')
    const again = await run('2.0.0')
    expect(again.record.phases.find((p) => p.name === 'train')?.status).toBe('cached')
  })

  it('a restore that fails on the workspace (a folder where a file goes) keeps the entry (only a corrupt entry is evicted)', async () => {
    const dir = project()
    const counts = { train: 0, evaluate: 0 }
    await build(dir, fakeTrainer(counts), { only: ['train'] })
    rmSync(join(dir, 'out/model.txt'))
    mkdirSync(join(dir, 'out/model.txt/blocker'), { recursive: true })
    const blocked = await build(dir, fakeTrainer(counts), { only: ['train'] })
    expect(blocked.phase('train').reasons?.[0]).toMatch(/^cache entry not usable: /)
    expect(entryFiles(dir, 'train')).toHaveLength(1)
  })
})
