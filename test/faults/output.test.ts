import { readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { FAULT_PLUGINS } from './plugins.js'
import { gone, lastRecord } from './records.js'

describe('bounded resources', () => {
  it('training that prints 200k lines: the run log keeps the first and last lines and says how many were cut', async () => {
    const dir = testdir({
      'train.py': [
        'import os',
        'for i in range(200000):',
        "    print(f'line {i} of the training chatter')",
        "os.makedirs('out', exist_ok=True)",
        "open('out/model.txt', 'w').write('m')",
      ].join('\n'),
      'mlci.config.mjs': `import trainer from '@mlci/plugin-trainer'
        export default { plugins: [trainer({ command: ['python3', 'train.py'], outputs: ['out/model.txt'] })] }`,
    })
    const r = await runCli(['build'], { cwd: dir, timeoutMs: 120_000 })
    expect(r.code, r.output).toBe(0)
    const logFile = lastRecord(dir).files.log
    const log = readFileSync(logFile, 'utf8')
    expect(log).toContain('line 0 of the training chatter')
    expect(log).toContain('line 199999 of the training chatter')
    expect(log).toMatch(/… 19\d{4} output lines cut here \(kept the first \d+ and the last \d+\) …/)
    expect(log).not.toContain('line 100000 of the training chatter')
    // All 200k lines would be ~12 MB.
    expect(statSync(logFile).size).toBeLessThan(1024 * 1024)
  })

  it('a background child of a command that succeeded is killed when the command ends', async () => {
    const dir = testdir({
      'plugins.mjs': FAULT_PLUGINS,
      'mlci.config.mjs': `import { run } from './plugins.mjs'
        export default { plugins: [run({ name: 'leaky-tests', argv: ['sh', '-c', 'sleep 300 & echo $! > bg.pid; exit 0'] })] }`,
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    const pid = Number(readFileSync(`${dir}/bg.pid`, 'utf8'))
    expect(await gone(pid), `background sleep ${pid} outlived mlci`).toBe(true)
  })
})
