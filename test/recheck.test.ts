// Re-checking declared inputs (issue 15): whatever makes the walk fast, a cached build must
// still see every change. The hard case is git's "racily clean" one: a file rewritten with the
// same size and its mtime in the same second (coarse timestamps, or a tool that restores mtime).
// Why each such rewrite is still seen (stat-cache.ts):
// - a row hashed less than 2 s after the file's mtime is never trusted (git's rule, with the time
//   taken before the read rather than the index's write time): a second write in the same clock
//   tick could leave size and mtime as they were, so the file is hashed again next time;
// - a later in-place rewrite may restore size and mtime, but the kernel sets ctime on every
//   write and utimes, and nothing can set it back: the row's ctime no longer matches;
// - a file replaced by rename (editors, atomic writers) has a new inode (and ctime).
// mtimes are compared at the precision the filesystem gives (ns on ext4, as a double in ms);
// the tests force whole mtime seconds, as a filesystem with 1 s timestamps would have. ctime
// cannot be forced: here (ext4, ns ctime) the ctime check alone catches every case below (each
// test fails with the ctime and inode comparisons removed); the racy rule is what catches a
// same-tick rewrite where ctime is coarse too, and hash.test.ts checks it on the stat cache.
import { spawnSync } from 'node:child_process'
import { readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'

const PLUGIN = `
import { definePlugin } from '@mlci/core'
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
export default definePlugin(() => ({ name: 'reader', version: '1.0.0', apply(mlci) {
  mlci.declare({ phase: 'train', inputs: ['data', '**/*.csv'] })
  mlci.hooks.train.tapPromise('reader', async (ctx) => {
    const names = readdirSync(join(ctx.cwd, 'data')).sort()
    appendFileSync(join(ctx.cwd, 'ran.log'), names.map((n) => n + '=' + readFileSync(join(ctx.cwd, 'data', n), 'utf8').trim()).join(',') + '\\n')
  })
} }))
`

function project(): string {
  return testdir({
    'plugin.mjs': PLUGIN,
    'mlci.config.mjs': `import reader from './plugin.mjs'\nexport default { plugins: [reader()] }\n`,
    'data/a.txt': 'aaaa\n',
    'data/b.txt': 'bbbb\n',
  })
}

const runs = (dir: string) => readFileSync(join(dir, 'ran.log'), 'utf8').trim().split('\n')

async function build(dir: string): Promise<string> {
  const r = await runCli(['build', '--explain'], { cwd: dir })
  expect(r.code, r.output).toBe(0)
  return r.stdout
}

/** Put `file`'s mtime on a whole second (as a filesystem with 1 s timestamps would). */
function coarseMtime(file: string, seconds: number): void {
  utimesSync(file, seconds, seconds)
  expect(statSync(file).mtimeMs).toBe(seconds * 1000)
}

/** Rewrite `file` with different content of the same size, its mtime still in the same second. */
function sameSizeSameMtime(file: string, content: string): void {
  const before = statSync(file)
  expect(Buffer.byteLength(content)).toBe(before.size)
  writeFileSync(file, content)
  coarseMtime(file, before.mtimeMs / 1000)
}

describe('a cached build re-checks its inputs correctly', () => {
  it('sees a same-size rewrite with the same mtime, right after the file was hashed (racily clean) and long after', async () => {
    const dir = project()
    coarseMtime(join(dir, 'data/a.txt'), Math.floor(Date.now() / 1000))
    await build(dir) // hashes data/a.txt right after its mtime: a racy row
    sameSizeSameMtime(join(dir, 'data/a.txt'), 'AAAA\n')
    expect(await build(dir)).toContain('train: runs — changed: data/a.txt')
    expect(runs(dir).at(-1)).toBe('a.txt=AAAA,b.txt=bbbb')

    // Settled: the files are old and their rows trusted; the same trick must still be seen.
    const old = Math.floor(Date.now() / 1000) - 3600
    for (const f of ['data/a.txt', 'data/b.txt']) coarseMtime(join(dir, f), old)
    await build(dir)
    expect(await build(dir)).toContain('train: cached — inputs unchanged')
    sameSizeSameMtime(join(dir, 'data/b.txt'), 'BBBB\n')
    expect(await build(dir)).toContain('train: runs — changed: data/b.txt')
    expect(runs(dir).at(-1)).toBe('a.txt=AAAA,b.txt=BBBB')

    // Replaced the way editors save: a new file of the same size renamed over it, its mtime set
    // to the old one's whole second first.
    for (const f of ['data/a.txt', 'data/b.txt']) coarseMtime(join(dir, f), old)
    await build(dir)
    expect(await build(dir)).toContain('train: cached — inputs unchanged')
    const before = statSync(join(dir, 'data/a.txt'))
    writeFileSync(join(dir, 'data/.a.txt.tmp'), 'xxxx\n')
    coarseMtime(join(dir, 'data/.a.txt.tmp'), old)
    renameSync(join(dir, 'data/.a.txt.tmp'), join(dir, 'data/a.txt'))
    const after = statSync(join(dir, 'data/a.txt'))
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs])
    expect(after.ino).not.toBe(before.ino)
    expect(await build(dir)).toContain('train: runs — changed: data/a.txt')
    expect(runs(dir).at(-1)).toBe('a.txt=xxxx,b.txt=BBBB')
  })

  it('sees new and deleted files, and counts untracked and gitignored files like any other', async () => {
    const dir = project()
    const git = (...args: string[]) => expect(spawnSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir }).status).toBe(0)
    git('init', '-q')
    writeFileSync(join(dir, '.gitignore'), 'data/ignored.csv\n')
    git('add', '-A')
    git('commit', '-qm', 'x')
    await build(dir)
    expect(await build(dir)).toContain('train: cached — inputs unchanged')

    writeFileSync(join(dir, 'data/c.txt'), 'cccc\n') // untracked
    expect(await build(dir)).toContain('train: runs — added: data/c.txt')
    writeFileSync(join(dir, 'data/ignored.csv'), '1\n') // gitignored, matched by **/*.csv too: listed once
    expect(await build(dir)).toContain('train: runs — added: data/ignored.csv')
    rmSync(join(dir, 'data/b.txt'))
    expect(await build(dir)).toContain('train: runs — removed: data/b.txt')
    expect(runs(dir).at(-1)).toBe('a.txt=aaaa,c.txt=cccc,ignored.csv=1')
    expect(await build(dir)).toContain('train: cached — inputs unchanged')
  })
})
