/**
 * Live test counts from `pytest -v` output as it streams, for the status line
 * ("12 passed · 1 failed"). The JUnit report stays the source of truth; this is only for
 * showing progress while the run goes.
 *
 *   tests/test_a.py::TestX::test_y PASSED                 [ 12%]
 *   tests/test_a.py::test_p[a b] SKIPPED (reason)         [ 37%]
 *   [gw0] [ 12%] PASSED tests/test_a.py::test_y           (pytest-xdist)
 */
const STATUS = 'PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS'
const VERBOSE_LINE = new RegExp(`^(?!(?:${STATUS}) )(\\S.*?::.+?) (${STATUS})\\b(.*?)(?:\\[\\s*(\\d+)%\\])?\\s*$`)
const XDIST_LINE = new RegExp(`^\\[gw\\d+\\] \\[\\s*(\\d+)%\\] (${STATUS}) (\\S.*::.+)$`)

type Bucket = 'passed' | 'failed' | 'skipped' | 'errors'
const BUCKET: Record<string, Bucket> = {
  PASSED: 'passed', XPASS: 'passed', FAILED: 'failed', ERROR: 'errors', SKIPPED: 'skipped', XFAIL: 'skipped',
}

export interface LiveUpdate {
  id: string
  outcome: Bucket
  /** Fraction of collected tests done, when pytest prints `[ NN%]`. */
  fraction?: number
}

/** One test result line, or undefined for any other line. */
export function parseResultLine(line: string): LiveUpdate | undefined {
  const xdist = XDIST_LINE.exec(line)
  if (xdist) return { id: xdist[3], outcome: BUCKET[xdist[2]], fraction: Number(xdist[1]) / 100 }
  const verbose = VERBOSE_LINE.exec(line)
  if (!verbose) return undefined
  return { id: verbose[1], outcome: BUCKET[verbose[2]], fraction: verbose[4] === undefined ? undefined : Number(verbose[4]) / 100 }
}

export class LiveCounts {
  readonly counts: Record<Bucket, number> = { passed: 0, failed: 0, skipped: 0, errors: 0 }
  fraction: number | undefined

  /** Feed one output line; true when it changed the counts. */
  feed(line: string): boolean {
    const update = parseResultLine(line)
    if (!update) return false
    this.counts[update.outcome]++
    if (update.fraction !== undefined) this.fraction = update.fraction
    return true
  }

  /** e.g. "12 passed · 1 failed · 2 skipped"; zero counts left out. */
  text(): string {
    const { passed, failed, skipped, errors } = this.counts
    const parts = [
      passed && `${passed} passed`, failed && `${failed} failed`,
      skipped && `${skipped} skipped`, errors && `${errors} error${errors === 1 ? '' : 's'}`,
    ].filter(Boolean)
    return parts.length ? parts.join(' · ') : 'collecting…'
  }
}
