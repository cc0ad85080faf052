import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { testdir } from './helpers/testdir.js'
import { WatchProcess } from './watch-support.js'

const running: WatchProcess[] = []
afterEach(async () => {
  for (const w of running.splice(0)) await w.stop('SIGKILL')
})

// A train phase reading data/** and every .py file, as the configs mlci init writes do.
const CONFIG = `import { definePlugin } from '@mlci/core'
const trainer = definePlugin(() => ({ name: 'fake-trainer', apply(mlci) {
  mlci.declare({ phase: 'train', inputs: ['**/*.py', 'data/**'], outputs: ['out'] })
  mlci.hooks.train.tapPromise('fake-trainer', async (ctx) => { ctx.log.info('trained') })
} }))
export default { plugins: [trainer()] }
`

describe('mlci watch and editor temporaries', () => {
  it('names only the saved file as the reason: swap, backup, lock and probe files are not changes', async () => {
    const dir = testdir({ 'mlci.config.mjs': CONFIG, 'fit.py': 'print(1)\n', 'data/rows.csv': 'a\n1\n' })
    const w = new WatchProcess(dir)
    running.push(w)
    await w.waitFor(/\[watch\] ✔ cycle 1 ok/)
    const mark = w.output.length
    // What vim, emacs and JetBrains IDEs leave around a save of data/rows.csv and fit.py.
    mkdirSync(join(dir, 'data'), { recursive: true })
    for (const f of ['data/.rows.csv.swp', 'data/rows.csv~', 'data/4913', 'data/#rows.csv#', '.#fit.py', 'fit.py___jb_tmp___', '.fit.py.swx']) writeFileSync(join(dir, f), 'x')
    writeFileSync(join(dir, 'data/rows.csv'), 'a\n2\n')
    await w.waitFor(/\[watch\] ✔ cycle 2 ok/, mark)
    expect(w.cycles(mark).map((c) => c.why)).toEqual(['changed: data/rows.csv'])
  })
})
