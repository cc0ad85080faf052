// Peak RSS of `mlci build` whose training prints 1k lines beside one that prints 1M lines, with
// the size of the run's log file. Memory must stay flat in the number of output lines (issue 12:
// 1M lines used to take ~1.4 GB). Measured with GNU time's maximum resident set size of the
// whole mlci process. Needs built packages and python3.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO, 'packages/cli/bin/mlci.js')
const ENV = { CI: '1', NO_COLOR: '1' }

function project(base, lines) {
  const dir = join(base, `lines-${lines}`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'train.py'), [
    'import sys, os',
    `for i in range(${lines}):`,
    "    sys.stdout.write(f'epoch {i} loss {1 / (i + 1):.6f} some more training chatter to make a line\\n')",
    "os.makedirs('out', exist_ok=True)",
    "open('out/model.txt', 'w').write('m')",
  ].join('\n'))
  writeFileSync(join(dir, 'mlci.config.mjs'), `import trainer from '@mlci/plugin-trainer'
export default { plugins: [trainer({ command: ['python3', 'train.py'], outputs: ['out/model.txt'] })] }
`)
  return dir
}

/** Peak RSS (MB) of one build, and the run log's size (MB). */
function measure(dir) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'build', '--force'], { cwd: dir, env: { ...process.env, ...ENV }, encoding: 'utf8', maxBuffer: 1 << 30 })
  if (r.status !== 0) throw new Error(`build in ${dir} exited ${r.status}: ${r.stderr.slice(-2000)}`)
  const peakKb = Number(r.stderr.trim().split('\n').pop())
  const runs = join(dir, '.mlci', 'runs')
  const log = readdirSync(runs).filter((f) => f.endsWith('.log')).map((f) => statSync(join(runs, f)).size).pop() ?? 0
  return { rssMb: peakKb / 1024, logMb: log / 1024 / 1024 }
}

export default async function bench() {
  const base = mkdtempSync(join(REPO, '.tmp', 'bench-output-'))
  try {
    const rows = [1_000, 1_000_000].map((lines) => ({ lines, ...measure(project(base, lines)) }))
    console.log(`${'training output'.padEnd(24)} ${'peak RSS'.padStart(10)} ${'run log'.padStart(10)}`)
    for (const r of rows) console.log(`${`${r.lines.toLocaleString('en')} lines`.padEnd(24)} ${`${r.rssMb.toFixed(0)} MB`.padStart(10)} ${`${r.logMb.toFixed(1)} MB`.padStart(10)}`)
    console.log(`1M − 1k: ${(rows[1].rssMb - rows[0].rssMb).toFixed(0)} MB more peak RSS (target: within 100 MB)`)
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench()
