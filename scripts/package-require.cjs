// require() for the packages the CLI bundle depends on (@mlci/core, the report plugin's light
// entry), copied next to cli.cjs by scripts/bundle.mjs, which points the bundle's requires of
// them here. It finds the package as Node does (node_modules folders up from the bundle, the
// package's "exports" "require" target, the real path of the file) but reads that one string
// itself: Node resolves "exports" with its ES module resolver, whose first use loads six of
// Node's internal modules and compiles their regular expressions (~12 M instructions, ~6 % of
// a no-op build). The file required, and so the module instance, is the one
// `require(specifier)` gives; anything unusual (no such package up the tree, "exports" of
// another shape, --preserve-symlinks) is left to `require(specifier)` itself.
'use strict'
const { existsSync, readFileSync, realpathSync } = require('node:fs')
const { createRequire } = require('node:module')
const { dirname, join, sep } = require('node:path')

/** `@scope/name/sub` → [`@scope/name`, `./sub`]; `@scope/name` → [`@scope/name`, `.`]. */
function split(specifier) {
  const parts = specifier.split('/')
  const size = specifier.startsWith('@') ? 2 : 1
  return [parts.slice(0, size).join('/'), parts.length > size ? `./${parts.slice(size).join('/')}` : '.']
}

const preserveSymlinks = () => process.execArgv.includes('--preserve-symlinks') || process.env.NODE_PRESERVE_SYMLINKS === '1'

/** The file `require(specifier)` from `fromDir` loads, or undefined to let Node decide. */
function resolvePackage(specifier, fromDir) {
  if (preserveSymlinks()) return undefined
  const [name, subpath] = split(specifier)
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (!dir.endsWith(`${sep}node_modules`)) { // Node does not look in node_modules/node_modules
      const pkgDir = join(dir, 'node_modules', name)
      let text
      try {
        text = readFileSync(join(pkgDir, 'package.json'), 'utf8')
      } catch (error) {
        // A package folder without package.json is Node's to resolve (it may hold an index.js).
        if ((error.code !== 'ENOENT' && error.code !== 'ENOTDIR') || existsSync(pkgDir)) return undefined
      }
      if (text !== undefined) {
        let target
        try {
          target = JSON.parse(text).exports?.[subpath]?.require
        } catch {
          return undefined
        }
        return typeof target === 'string' && target.startsWith('./') ? realpathSync(join(pkgDir, target)) : undefined
      }
    }
    if (dirname(dir) === dir) return undefined
  }
}

/** require(specifier) as seen from `fromDir` (the bundle's folder). */
function requirePackage(specifier, fromDir) {
  const file = resolvePackage(specifier, fromDir)
  return file === undefined ? createRequire(join(fromDir, 'index.cjs'))(specifier) : require(file)
}

module.exports = { requirePackage, resolvePackage }
