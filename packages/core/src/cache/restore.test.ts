// Phase-cache restore details through a real run: file modes come back, identical files are
// counted as up to date (not rewritten), an entry naming a path outside the project is evicted
// instead of written.
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../../test/helpers/testdir.js'
import type { LoadedPlugin } from '../config.js'
import type { LogEntry } from '../logger.js'
import { Mlci } from '../mlci.js'

/** train reads in.txt and writes out/run.sh (executable) and out/data.txt. */
function trainer(counts: { train: number }): LoadedPlugin {
  return {
    source: 'config', version: '1.0.0',
    plugin: {
      name: 'modes', version: '1.0.0',
      apply(mlci) {
        mlci.declare({ phase: 'train', inputs: ['in.txt'], outputs: ['out'] })
        mlci.hooks.train.tapPromise('modes', async (ctx) => {
          counts.train++
          mkdirSync(join(ctx.cwd, 'out'), { recursive: true })
          writeFileSync(join(ctx.cwd, 'out/run.sh'), '#!/bin/sh\necho hi\n')
          chmodSync(join(ctx.cwd, 'out/run.sh'), 0o755)
          writeFileSync(join(ctx.cwd, 'out/data.txt'), readFileSync(join(ctx.cwd, 'in.txt')))
        })
      },
    },
  }
}

async function build(dir: string, plugin: LoadedPlugin) {
  const mlci = new Mlci({ config: { root: dir, plugins: [plugin] }, env: { PATH: process.env.PATH } })
  const log: LogEntry[] = []
  mlci.on('log', (e) => log.push(e))
  const result = await mlci.run({ only: ['train'] })
  return { result, log, status: result.record.phases.find((p) => p.name === 'train')?.status, messages: log.map((e) => e.message) }
}

describe('phase cache restore', () => {
  it('puts back a file mode changed by hand, keeping identical content untouched', async () => {
    const dir = testdir({ 'in.txt': 'data\n' })
    const counts = { train: 0 }
    expect((await build(dir, trainer(counts))).status).toBe('ok')
    chmodSync(join(dir, 'out/run.sh'), 0o644)
    const data = statSync(join(dir, 'out/data.txt'))
    const again = await build(dir, trainer(counts))
    expect(again.status).toBe('cached')
    expect(counts.train).toBe(1)
    expect(statSync(join(dir, 'out/run.sh')).mode & 0o777).toBe(0o755)
    expect(statSync(join(dir, 'out/data.txt')).mtimeMs).toBe(data.mtimeMs)
    expect(again.messages).toContain('Restored 0 output file(s) of train from the cache (2 already up to date).')
  })

  it('rewrites a missing or edited file with its recorded mode and counts it as restored', async () => {
    const dir = testdir({ 'in.txt': 'data\n' })
    const counts = { train: 0 }
    await build(dir, trainer(counts))
    writeFileSync(join(dir, 'out/data.txt'), 'edited\n')
    const again = await build(dir, trainer(counts))
    expect(again.status).toBe('cached')
    expect(readFileSync(join(dir, 'out/data.txt'), 'utf8')).toBe('data\n')
    expect(again.messages).toContain('Restored 1 output file(s) of train from the cache (1 already up to date).')
    expect(statSync(join(dir, 'out/run.sh')).mode & 0o777).toBe(0o755)
  })

  it('an entry that names a path outside the project is evicted and the phase runs, writing nothing outside', async () => {
    const dir = testdir({ 'in.txt': 'data\n' })
    const counts = { train: 0 }
    await build(dir, trainer(counts))
    // Tamper with the stored entry: point an output above the project.
    const entries = join(dir, '.mlci/cache/entries/train')
    const file = readdirSync(entries).find((f) => f.endsWith('.json') && !f.endsWith('.parts.json'))!
    const entry = JSON.parse(readFileSync(join(entries, file), 'utf8'))
    const escaped = `${basename(dir)}-escaped.txt`
    entry.outputs[0].path = `../${escaped}`
    writeFileSync(join(entries, file), JSON.stringify(entry))
    const again = await build(dir, trainer(counts))
    expect(again.status).toBe('ok')
    expect(counts.train).toBe(2)
    expect(readdirSync(join(dir, '..')).includes(escaped)).toBe(false)
    expect(again.log.some((e) => e.level === 'warn' && /is outside the project root/.test(e.message))).toBe(true)
    expect(again.result.record.phases.find((p) => p.name === 'train')?.reasons?.[0]).toMatch(/^cache entry evicted: Declared output .* is outside the project root/)
  })
})
