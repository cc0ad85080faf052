const pending = new Set<() => void>()
let exitHook = false

/**
 * Remove a test run's temp project without the test asking: after the current vitest test when
 * the kit runs inside vitest (its `onTestFinished`), and in any case when the process exits.
 * `remove` is idempotent (rmSync with force), so an explicit `cleanup()` is still fine.
 */
export async function autoCleanup(remove: () => void): Promise<void> {
  pending.add(remove)
  if (!exitHook) {
    exitHook = true
    process.once('exit', () => { for (const r of pending) r() })
  }
  if (!process.env.VITEST) return
  try {
    const { onTestFinished } = await import('vitest')
    onTestFinished(() => {
      pending.delete(remove)
      remove()
    })
  } catch {
    // Outside a test (beforeAll, a describe body): removed at exit instead.
  }
}

