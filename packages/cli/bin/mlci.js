#!/usr/bin/env node
import('../dist/main.js').then((cli) => cli.main(process.argv.slice(2)))
