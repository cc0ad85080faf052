import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { REPO, testdir } from './helpers/testdir.js'

/**
 * The README's and docs/plugins.md's examples, executed so they cannot rot. Every ```ts block
 * whose first line is a `// <path>` comment is written to that path in a temp folder per
 * document: `*.test.ts` blocks are imported here (their tests run as part of this file),
 * `mlci.config.ts` blocks are loaded by the real CLI (`mlci plugins`), and other modules must
 * export a plugin factory.
 */
const DOCS = ['README.md', 'docs/plugins.md']

interface Example { doc: string; path: string; code: string }

function examples(doc: string): Example[] {
  const text = readFileSync(join(REPO, doc), 'utf8')
  return [...text.matchAll(/```ts\n\/\/ ([\w./-]+\.ts)\n([\s\S]*?)```/g)].map((m) => ({ doc, path: m[1], code: m[2] }))
}

const all = DOCS.flatMap(examples)
const dirs = new Map(DOCS.map((doc) => [doc, testdir()]))
for (const example of all) {
  // A test block is renamed so the suite's own include globs never pick the temp copy up.
  const file = join(dirs.get(example.doc)!, example.path.replace(/\.test\.ts$/, '.example-test.ts'))
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, example.code)
}

describe('docs examples run as written', () => {
  it('every document has executable examples (a plugin, its test; the README a config too)', () => {
    for (const doc of DOCS) {
      const paths = all.filter((e) => e.doc === doc).map((e) => e.path)
      expect(paths.some((p) => p.endsWith('src/index.ts')), doc).toBe(true)
      expect(paths.some((p) => p.endsWith('.test.ts')), doc).toBe(true)
    }
    expect(all.some((e) => e.doc === 'README.md' && e.path === 'mlci.config.ts')).toBe(true)
  })

  for (const example of all.filter((e) => e.path === 'mlci.config.ts')) {
    it(`${example.doc}: ${example.path} loads with every plugin's options valid (mlci plugins)`, async () => {
      const r = await runCli(['plugins'], { cwd: dirs.get(example.doc)!, env: { CI: undefined } })
      expect(r.code, r.output).toBe(0)
      expect(r.stdout).toContain('@mlci/plugin-trainer')
    })
  }

  for (const example of all.filter((e) => /src\/index\.ts$/.test(e.path))) {
    it(`${example.doc}: ${example.path} exports a plugin factory`, async () => {
      const mod = await import(pathToFileURL(join(dirs.get(example.doc)!, example.path)).href)
      const plugin = mod.default()
      expect(typeof plugin.apply).toBe('function')
      expect(mod.default.pluginName).toBe(plugin.name)
    })
  }
})

// The examples' own tests, registered into this file.
for (const example of all.filter((e) => e.path.endsWith('.test.ts'))) {
  describe(`${example.doc}: ${example.path}`, async () => {
    await import(pathToFileURL(join(dirs.get(example.doc)!, example.path.replace(/\.test\.ts$/, '.example-test.ts'))).href)
  })
}
