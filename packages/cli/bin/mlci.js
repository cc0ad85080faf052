#!/usr/bin/env node
// `mlci --version` alone is answered before anything else loads (the bundle's entry answers every other form).
import { readFileSync } from 'node:fs'
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`)
else import('../dist/bundle/main.js').then((cli) => cli.main(argv))
