import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { FAULT_PLUGINS } from './plugins.js'
import { lastRecord } from './records.js'

function project(config: string): string {
  return testdir({ 'plugins.mjs': FAULT_PLUGINS, 'mlci.config.mjs': config })
}

const calls = (dir: string) => readFileSync(join(dir, 'calls.txt'), 'utf8').trim().split('\n').sort()

describe('run-level hooks are isolated per tap', () => {
  it('a throwing report tap and a throwing done tap: every done/report tap still runs, each failure is named, the build stays ok', async () => {
    const dir = project(`import { note } from './plugins.mjs'
      const file = 'calls.txt'
      export default { plugins: [
        note({ name: 'bad-report', hooks: ['report'], throws: true, file }),
        note({ name: 'good-report', hooks: ['report'], file }),
        note({ name: 'bad-notifier', hooks: ['done'], throws: true, file }),
        note({ name: 'releaser', hooks: ['done'], file }),
      ] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(calls(dir)).toEqual(['done bad-notifier', 'done releaser', 'report bad-report', 'report good-report'])
    expect(r.output).toMatch(/report hook of bad-report failed.*bad-report exploded in report/)
    expect(r.output).toMatch(/done hook of bad-notifier failed.*bad-notifier exploded in done/)
    const record = lastRecord(dir)
    expect(record.status).toBe('ok')
    expect(record.hookErrors.map((e: any) => e.plugin).sort()).toEqual(['bad-notifier', 'bad-report'])
  })

  it('a throwing failed tap ahead of another: both run and the run keeps its own error (exit 1)', async () => {
    const dir = project(`import { note, run } from './plugins.mjs'
      const file = 'calls.txt'
      export default { plugins: [
        run({ name: 'failing-tests', argv: ['sh', '-c', 'exit 4'] }),
        note({ name: 'bad-alert', hooks: ['failed'], throws: true, file }),
        note({ name: 'pager', hooks: ['failed'], file }),
      ] }`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(1)
    expect(calls(dir)).toEqual(['failed bad-alert', 'failed pager'])
    const record = lastRecord(dir)
    expect(record.error).toMatchObject({ code: 'MLCI_EXEC_FAILED', plugin: 'failing-tests' })
    expect(record.hookErrors).toEqual([expect.objectContaining({ plugin: 'bad-alert', message: 'bad-alert exploded in failed' })])
  })
})
