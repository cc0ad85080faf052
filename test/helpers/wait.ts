/**
 * Wait until `condition` holds, checking every `intervalMs`; fail naming `what` after
 * `timeoutMs`. For states a test can only observe by looking (a process gone, a file written),
 * never as a fixed pause: it returns as soon as the condition holds.
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** Resolves once `text` (a string or pattern) appears in what `read()` returns; fails showing it. */
export async function waitForText(read: () => string, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const seen = () => (typeof text === 'string' ? read().includes(text) : text.test(read()))
  try {
    await waitUntil(seen, `the output shows ${String(text)}`, timeoutMs)
  } catch (error) {
    throw new Error(`${(error as Error).message}; output so far:\n${read()}`)
  }
}
