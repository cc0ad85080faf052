import type { Mlci } from '@mlci/core'

/**
 * Renderers subscribe to the core for good; a watch session renders one run per cycle. Run
 * `attach`, then return a function removing exactly the listeners it added.
 */
export function attachForOneRun(mlci: Mlci, attach: () => void): () => void {
  const emitter = mlci as unknown as NodeJS.EventEmitter
  const before = new Map(emitter.eventNames().map((name) => [name, new Set(emitter.rawListeners(name))]))
  attach()
  return () => {
    for (const name of emitter.eventNames()) {
      for (const listener of emitter.rawListeners(name)) {
        if (!before.get(name)?.has(listener)) emitter.removeListener(name, listener as (...args: unknown[]) => void)
      }
    }
  }
}
