import { describe, expect, it } from 'vitest'
import { LiveCounts, parseResultLine } from './live-counts.js'

// Lines as `pytest -v` 9.0 prints them (and pytest-xdist's form).
const OUTPUT = `============================= test session starts ==============================
collecting ... collected 8 items

tests/test_a.py::TestThing::test_ok PASSED                               [ 12%]
tests/test_a.py::TestThing::test_bad FAILED                              [ 25%]
tests/test_a.py::test_skip SKIPPED (not now & <later>)                   [ 37%]
tests/test_a.py::test_xf XFAIL                                           [ 50%]
tests/test_a.py::test_err ERROR                                          [ 62%]
tests/test_a.py::test_p[a b] PASSED                                      [ 75%]
tests/test_a.py::test_p[c::d] FAILED                                     [ 87%]
tests/test_a.py::test_teardown_err PASSED                                [100%]
=========================== short test summary info ============================
FAILED tests/test_a.py::TestThing::test_bad - AssertionError: one is not two
FAILED tests/test_a.py::test_p[c::d] - AssertionError: assert 'c::d' != 'c::d' PASSED
ERROR tests/test_a.py::test_err - RuntimeError: setup boom
========= 2 failed, 3 passed, 1 skipped, 1 xfailed, 1 error in 0.04s ==========`

describe('live counts', () => {
  it('counts result lines as they stream and ignores the summary section', () => {
    const live = new LiveCounts()
    const texts: string[] = []
    for (const line of OUTPUT.split('\n')) if (live.feed(line)) texts.push(live.text())
    expect(texts[0]).toBe('1 passed')
    expect(live.text()).toBe('3 passed · 2 failed · 2 skipped · 1 error')
    expect(live.fraction).toBe(1)
    expect(texts).toHaveLength(8)
  })

  it('parses ids with spaces and ::, progress, and the xdist form', () => {
    expect(parseResultLine('tests/test_a.py::test_p[a b] PASSED                [ 75%]')).toEqual({ id: 'tests/test_a.py::test_p[a b]', outcome: 'passed', fraction: 0.75 })
    expect(parseResultLine('[gw1] [ 50%] FAILED tests/test_x.py::TestA::test_b')).toEqual({ id: 'tests/test_x.py::TestA::test_b', outcome: 'failed', fraction: 0.5 })
    expect(parseResultLine('tests/t.py::test_q XPASS')).toMatchObject({ outcome: 'passed', fraction: undefined })
    expect(parseResultLine('collecting ... collected 8 items')).toBeUndefined()
    expect(parseResultLine('')).toBeUndefined()
  })

  it('says collecting… before any result', () => {
    expect(new LiveCounts().text()).toBe('collecting…')
  })
})
