// Loads a CommonJS bundle (the file named by BUNDLE below, beside this loader) with V8's code
// cache: the bytecode V8 compiled for it in an earlier run is read from `<bundle>.cache` instead
// of parsing and compiling ~0.4 MB of JavaScript on every start (Node 20 has no compile cache of
// its own; module.enableCompileCache is Node 22+). scripts/bundle.mjs copies this file next to the
// bundle and writes the cache after a real run (MLCI_WRITE_CODE_CACHE), so it holds the functions
// a command actually runs, not just the top level.
//
// A cache V8 rejects (another Node or V8 version, another bundle) costs nothing but the read:
// the bundle is then compiled as usual. The result is exactly what `require(bundle)` returns.
'use strict'
const { readFileSync, renameSync, writeFileSync } = require('node:fs')
const { createRequire } = require('node:module')
const { dirname, join } = require('node:path')
const { Script } = require('node:vm')

const BUNDLE = join(__dirname, 'core.cjs')
const CACHE = `${BUNDLE}.cache`

function readCache() {
  try {
    return readFileSync(CACHE)
  } catch {
    return undefined
  }
}

const source = readFileSync(BUNDLE, 'utf8')
const cachedData = readCache()
// The same wrapper Node's CommonJS loader puts around a module.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData })
const bundleModule = { exports: {}, filename: BUNDLE, id: BUNDLE, loaded: false }
script.runInThisContext()(bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, dirname(BUNDLE))
bundleModule.loaded = true

if (process.env.MLCI_WRITE_CODE_CACHE === BUNDLE) {
  // At exit: every function the run compiled is in the cache, not only the top level.
  process.once('exit', () => {
    const tmp = `${CACHE}.${process.pid}.tmp`
    writeFileSync(tmp, script.createCachedData())
    renameSync(tmp, CACHE)
  })
}

module.exports = bundleModule.exports
