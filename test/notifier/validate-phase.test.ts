import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { lastRecord } from '../faults/records.js'
import { NOTIFIER } from './plugin.js'

const count = (dir: string, file: string) => {
  try {
    return readFileSync(join(dir, file), 'utf8').trim().split('\n').length
  } catch {
    return 0
  }
}

describe('the validate phase: data checks between test and train', () => {
  it('runs before train, is cached on its declared data, and bad data stops the build before any training', async () => {
    const dir = testdir({
      'plugins.mjs': NOTIFIER,
      'data.txt': 'a\nb\n',
      'mlci.config.mjs': `import { work, rowsCheck } from './plugins.mjs'\nexport default { plugins: [work(), rowsCheck()] }\n`,
    })
    const first = await runCli(['build'], { cwd: dir })
    expect(first.code, first.output).toBe(0)
    const phases = lastRecord(dir).phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`)
    expect(phases.indexOf('validate:ok')).toBeGreaterThan(-1)
    expect(phases.indexOf('validate:ok')).toBeLessThan(phases.indexOf('train:ok'))
    expect(lastRecord(dir).data.validation).toEqual({ passed: true, checks: [{ name: 'no empty rows', pass: true }] })

    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
    expect(lastRecord(dir).phases.find((p: { name: string }) => p.name === 'validate').status).toBe('cached')
    expect(count(dir, 'validated.txt')).toBe(1)

    writeFileSync(join(dir, 'data.txt'), 'a\n\nc\n')
    const bad = await runCli(['build'], { cwd: dir })
    expect(bad.code, bad.output).toBe(1)
    expect(bad.output).toMatch(/data\.txt: row 2 is empty/)
    const record = lastRecord(dir)
    expect(record.error).toMatchObject({ code: 'MLCI_DATA_INVALID', phase: 'validate', plugin: 'rows-check' })
    expect(record.phases.map((p: { name: string }) => p.name)).not.toContain('train')
    expect(count(dir, 'trained.txt')).toBe(1) // only the first build trained
  })
})
