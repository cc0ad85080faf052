/**
 * Small misbehaving plugins, written as a third party would, for the fault tests. Each test
 * writes this text as `plugins.mjs` into its temp project and imports what it needs.
 */
export const FAULT_PLUGINS = `
import { definePlugin } from '@mlci/core'
import { appendFileSync, writeFileSync } from 'node:fs'
const ctxOf = (args) => args[args.length - 1]

/** A tap that never settles; with timer: true something keeps the event loop alive too. */
export const hang = definePlugin((o = {}) => ({ name: o.name ?? 'hang', apply(mlci) {
  mlci.hooks[o.phase ?? 'deploy'].tapPromise(o.name ?? 'hang', (...args) => {
    ctxOf(args).log.info('hanging now')
    if (o.timer) setInterval(() => {}, 1000)
    return new Promise(() => {})
  })
} }))

/** A tap that runs a command (argv) and records the shell's PID first. */
export const run = definePlugin((o) => ({ name: o.name ?? 'run', apply(mlci) {
  mlci.hooks[o.phase ?? 'test'].tapPromise(o.name ?? 'run', async (...args) => {
    const ctx = ctxOf(args)
    await ctx.exec(o.argv, o.options ?? {})
  })
} }))

/** Proposes a version so deploy has something to put live. */
export const proposer = definePlugin((o = {}) => ({ name: 'proposer', apply(mlci) {
  mlci.hooks.version.tapPromise('proposer', async () => ({ version: o.version ?? '1.0.0' }))
} }))

/** Appends "<hook> <name>" to o.file each time one of its hooks runs; throws when o.throws. */
export const note = definePlugin((o) => ({ name: o.name, apply(mlci) {
  for (const hook of o.hooks) {
    mlci.hooks[hook].tapPromise(o.name, async (...args) => {
      appendFileSync(o.file, hook + ' ' + o.name + '\\n')
      if (o.throws) throw new Error(o.name + ' exploded in ' + hook)
      return hook === 'report' ? args[0] : undefined
    })
  }
} }))
`
