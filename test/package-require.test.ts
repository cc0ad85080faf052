// scripts/package-require.cjs: how the CLI bundle requires @mlci/core and the report plugin
// without Node's package "exports" resolver. It must load the very file require() would, and
// leave every case it does not know to require() itself.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO, testdir } from './helpers/testdir.js'

const { requirePackage, resolvePackage } = createRequire(import.meta.url)(join(REPO, 'scripts/package-require.cjs')) as {
  requirePackage(specifier: string, fromDir: string): unknown
  resolvePackage(specifier: string, fromDir: string): string | undefined
}

/** A package `name` in `nodeModules` whose "exports" are `exports`, with files saying which they are. */
function pkg(nodeModules: string, name: string, exports: unknown, files: Record<string, string> = { 'dist/index.cjs': `module.exports = { which: ${JSON.stringify(nodeModules)} }` }): string {
  const dir = join(nodeModules, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', exports }))
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  return dir
}

/** What Node's own require() resolves `specifier` to from `fromDir`. */
const nodeResolves = (specifier: string, fromDir: string) => createRequire(join(fromDir, 'x.cjs')).resolve(specifier)

describe('package-require.cjs', () => {
  it('finds what require() finds: the nearest node_modules first, then the folders above', () => {
    const root = testdir()
    const exports = { '.': { require: './dist/index.cjs', default: './dist/index.js' } }
    pkg(join(root, 'node_modules'), '@x/core', exports)
    const from = join(root, 'packages/cli/dist/bundle')
    mkdirSync(from, { recursive: true })
    expect(resolvePackage('@x/core', from)).toBe(nodeResolves('@x/core', from))
    expect(requirePackage('@x/core', from)).toEqual({ which: join(root, 'node_modules') })
    // A copy nested closer to the bundle wins, as it does for Node.
    pkg(join(root, 'packages/cli/node_modules'), '@x/core', exports)
    expect(resolvePackage('@x/core', from)).toBe(join(root, 'packages/cli/node_modules/@x/core/dist/index.cjs'))
    expect(resolvePackage('@x/core', from)).toBe(nodeResolves('@x/core', from))
  })

  it('takes a subpath\'s "require" target, and the real path of a linked package (one module instance)', () => {
    const root = testdir()
    const real = pkg(join(root, 'plugins'), 'report', { './plugins': { require: './dist/plugins.cjs' } }, { 'dist/plugins.cjs': 'module.exports = { light: true }' })
    mkdirSync(join(root, 'node_modules/@x'), { recursive: true })
    symlinkSync(real, join(root, 'node_modules/@x/report'))
    const resolved = resolvePackage('@x/report/plugins', root)
    expect(resolved).toBe(join(real, 'dist/plugins.cjs'))
    expect(resolved).toBe(nodeResolves('@x/report/plugins', root))
    expect(requirePackage('@x/report/plugins', root)).toBe(createRequire(join(root, 'x.cjs'))('@x/report/plugins'))
  })

  it('leaves to require() what it does not know: other "exports" shapes, a folder without package.json, no package at all', () => {
    const root = testdir()
    pkg(join(root, 'a/node_modules'), 'nested', { '.': { node: { require: './dist/index.cjs' } } })
    expect(resolvePackage('nested', join(root, 'a'))).toBeUndefined()
    pkg(join(root, 'b/node_modules'), 'plain', './dist/index.cjs')
    expect(resolvePackage('plain', join(root, 'b'))).toBeUndefined()
    expect(requirePackage('plain', join(root, 'b'))).toEqual({ which: join(root, 'b/node_modules') })
    // A package folder with no package.json: Node may load its index.js, so it is Node's call.
    mkdirSync(join(root, 'c/node_modules/bare'), { recursive: true })
    writeFileSync(join(root, 'c/node_modules/bare/index.js'), 'module.exports = "index"')
    pkg(join(root, 'node_modules'), 'bare', { '.': { require: './dist/index.cjs' } })
    expect(resolvePackage('bare', join(root, 'c'))).toBeUndefined()
    expect(requirePackage('bare', join(root, 'c'))).toBe('index')
    // Not installed anywhere: require()'s own error.
    expect(resolvePackage('@x/absent', root)).toBeUndefined()
    expect(() => requirePackage('@x/absent', root)).toThrow(expect.objectContaining({ code: 'MODULE_NOT_FOUND' }))
  })
})
