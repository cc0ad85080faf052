#!/usr/bin/env node
// `mlci --version` alone is answered before anything else loads (the bundle's entry answers
// every other form). CommonJS (bin/package.json), like the CLI bundle it requires (run from V8's
// code cache by cli-loader.cjs): Node starts no ES module loader unless a config or plugin needs it.
'use strict'
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) process.stdout.write(`${require('../package.json').version}\n`)
else require('../dist/bundle/cli-loader.cjs').main(argv)
