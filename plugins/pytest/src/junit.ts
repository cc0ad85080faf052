import type { TestSummary } from '@mlci/core'
import { descendants, parseXml, type XmlElement } from './xml.js'

/**
 * Turn a pytest JUnit XML report into mlci's TestSummary. Counts come from the testcase
 * elements (not the suite attributes, which differ between junit families and count a
 * teardown error twice): a testcase with <failure> failed, with <error> errored, with
 * <skipped> (skip or xfail) was skipped, otherwise it passed.
 */
export interface JunitOptions {
  /** Whether `<rootdir>/<relative path>` exists; lets ids be rebuilt from xunit2 reports that lack `file`. */
  exists?: (relativePath: string) => boolean
}

export function parseJunit(xml: string, options: JunitOptions = {}): TestSummary {
  const root = parseXml(xml)
  if (root.name !== 'testsuites' && root.name !== 'testsuite') {
    throw new Error(`expected <testsuites> or <testsuite>, found <${root.name}>`)
  }
  const suites = root.name === 'testsuite' ? [root] : descendants(root, 'testsuite')
  const summary: TestSummary = { passed: 0, failed: 0, skipped: 0, errors: 0, total: 0, durationMs: 0, failures: [] }
  for (const suite of suites) summary.durationMs += seconds(suite.attrs.time)
  for (const testcase of descendants(root, 'testcase')) {
    summary.total++
    const failure = child(testcase, 'failure')
    const error = child(testcase, 'error')
    if (failure) summary.failed++
    if (error) summary.errors++
    if (!failure && !error) {
      if (child(testcase, 'skipped')) summary.skipped++
      else summary.passed++
    }
    for (const problem of [failure, error]) {
      if (problem) summary.failures.push({ id: testId(testcase.attrs, options), message: firstLine(problem) })
    }
  }
  summary.durationMs = Math.round(summary.durationMs)
  return summary
}

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name)
}

function seconds(value: string | undefined): number {
  const n = Number(value)
  return Number.isFinite(n) ? n * 1000 : 0
}

/** The first meaningful line of a failure: its message attribute, else the last `E   ` line of the traceback. */
function firstLine(problem: XmlElement): string {
  const message = (problem.attrs.message ?? '').split('\n').map((l) => l.trim()).find(Boolean)
  const eLines = problem.text.split('\n').filter((l) => /^E\s/.test(l)).map((l) => l.slice(1).trim())
  const raised = eLines.find((l) => /^\w+(Error|Exception|Exit)\b/.test(l)) ?? eLines[0]
  // "collection failure" says nothing: the raised exception does.
  if (message && message !== 'collection failure') return message
  if (raised) return message ? `${message}: ${raised}` : raised
  return message || problem.text.split('\n').map((l) => l.trim()).find(Boolean) || problem.attrs.type || problem.name
}

/**
 * pytest's node id (`tests/test_x.py::TestClass::test_name`). xunit1 reports carry the file;
 * xunit2 only has a dotted classname (`tests.test_x.TestClass`), split where the module file is.
 */
export function testId(attrs: Record<string, string>, options: JunitOptions = {}): string {
  const name = attrs.name ?? '?'
  const classname = attrs.classname ?? ''
  // Collection errors: empty classname, the module as name.
  if (!classname) return attrs.file ?? name
  const parts = classname.split('.')
  let moduleParts = parts.length
  if (attrs.file) {
    const module = attrs.file.replace(/\\/g, '/').replace(/\.py$/, '').split('/')
    if (module.every((p, i) => parts[i] === p)) moduleParts = module.length
    return [attrs.file, ...parts.slice(moduleParts), name].join('::')
  }
  const exists = options.exists
  moduleParts = parts.findIndex((p) => /^[A-Z]/.test(p))
  if (exists) {
    for (let n = parts.length; n > 0; n--) {
      if (exists(`${parts.slice(0, n).join('/')}.py`)) {
        moduleParts = n
        break
      }
    }
  }
  if (moduleParts < 0) moduleParts = parts.length
  return [`${parts.slice(0, moduleParts).join('/')}.py`, ...parts.slice(moduleParts), name].join('::')
}
