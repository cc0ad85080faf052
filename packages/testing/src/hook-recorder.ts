import type { HookName, Mlci } from '@mlci/core'

/** One call of a hook as the test kit saw it (the context argument is left out). */
export interface HookCall {
  hook: HookName
  /** The arguments before the context, e.g. the version proposal or the deploy request. */
  args: unknown[]
  /** The phase the call belonged to, when it had one. */
  phase?: string
}

/** Record every call of every hook through a tapable `call` interceptor. */
export function recordHookCalls(mlci: Mlci): HookCall[] {
  const calls: HookCall[] = []
  for (const hook of Object.keys(mlci.hooks) as HookName[]) {
    ;(mlci.hooks[hook] as unknown as { intercept(i: object): void }).intercept({
      call: (...args: unknown[]) => {
        const ctx = args[args.length - 1] as { phase?: string } | undefined
        calls.push({ hook, args: structuredCloneSafe(args.slice(0, -1)), phase: ctx?.phase })
      },
    })
  }
  return calls
}

function structuredCloneSafe(value: unknown[]): unknown[] {
  try {
    return structuredClone(value)
  } catch {
    return value
  }
}
