#!/usr/bin/env node
import('../dist/bundle/main.js').then((cli) => cli.main(process.argv.slice(2)))
