import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHooks } from '@mlci/core'
import { describe, expect, it } from 'vitest'
import { REPO } from './helpers/testdir.js'

const doc = readFileSync(join(REPO, 'docs/plugins.md'), 'utf8')

describe('docs/plugins.md matches the code', () => {
  const hooks = createHooks()
  it('documents every hook with its tapable type, and no hook that does not exist', () => {
    for (const [name, hook] of Object.entries(hooks)) {
      const type = (hook as object).constructor.name
      expect(doc, `hook ${name}`).toMatch(new RegExp(`\\| \`${name}\` \\| ${type} \\|`))
      expect(doc, `section for ${name}`).toContain(`### \`${name}\``)
    }
    const documented = [...doc.matchAll(/^### `(\w+)`$/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual(Object.keys(hooks).sort())
  })
})
