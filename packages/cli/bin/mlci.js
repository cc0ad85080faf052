#!/usr/bin/env node
// `mlci --version` alone is answered before anything else loads (the bundle's entry answers
// every other form). CommonJS (bin/package.json): Node then starts no ES module loader for it.
'use strict'
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) process.stdout.write(`${require('../package.json').version}\n`)
else import('../dist/bundle/main.js').then((cli) => cli.main(argv))
