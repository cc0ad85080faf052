// Loads a CommonJS bundle with V8's code cache. The bundle is `<name>.cjs` beside this loader,
// which is copied there as `<name>-loader.cjs` (core-loader.cjs runs core.cjs, cli-loader.cjs runs
// cli.cjs). The bytecode V8 compiled for it in an earlier run is read from `<bundle>.cache`
// instead of parsing and compiling ~0.4 MB of JavaScript on every start (Node 20 has no compile cache of
// its own; module.enableCompileCache is Node 22+). scripts/bundle.mjs copies this file next to each
// bundle and writes the caches after a real run (MLCI_WRITE_CODE_CACHE lists the bundles), so they
// hold the functions a command actually runs, not just the top level.
//
// A cache V8 rejects (another Node or V8 version, another bundle) costs nothing but the read:
// the bundle is then compiled as usual. The result is exactly what `require(bundle)` returns.
'use strict'
const { readFileSync, renameSync, writeFileSync } = require('node:fs')
const { createRequire } = require('node:module')
const { delimiter, dirname } = require('node:path')
const { Script } = require('node:vm')

const BUNDLE = __filename.replace(/-loader\.cjs$/, '.cjs')
const CACHE = `${BUNDLE}.cache`

function readCache() {
  try {
    return readFileSync(CACHE)
  } catch {
    return undefined
  }
}

// ASCII only (scripts/bundle.mjs makes sure): latin1 reads it as a one-byte string, the fastest way.
const source = readFileSync(BUNDLE, 'latin1')
const cachedData = readCache()
// The same wrapper Node's CommonJS loader puts around a module.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData })
const bundleModule = { exports: {}, filename: BUNDLE, id: BUNDLE, loaded: false }
script.runInThisContext()(bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, dirname(BUNDLE))
bundleModule.loaded = true

if ((process.env.MLCI_WRITE_CODE_CACHE ?? '').split(delimiter).includes(BUNDLE)) {
  // At exit: every function the run compiled is in the cache, not only the top level.
  process.once('exit', () => {
    const tmp = `${CACHE}.${process.pid}.tmp`
    writeFileSync(tmp, script.createCachedData())
    renameSync(tmp, CACHE)
  })
}

module.exports = bundleModule.exports
