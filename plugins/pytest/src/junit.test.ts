import { describe, expect, it } from 'vitest'
import { parseJunit, testId } from './junit.js'
import { parseXml } from './xml.js'

// Captured from pytest 9.0.3 (junit_family=xunit1) on a suite with a class, a skip, an xfail,
// a setup error, a parametrized failure and a teardown error.
const XUNIT1 = `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="2" failures="2" skipped="2" tests="9" time="0.043" timestamp="2026-11-29T02:30:10.515787+00:00" hostname="vm"><testcase classname="tests.test_a.TestThing" name="test_ok" file="tests/test_a.py" line="2" time="0.001" /><testcase classname="tests.test_a.TestThing" name="test_bad" file="tests/test_a.py" line="3" time="0.001"><failure message="AssertionError: one is not two&#10;  second line&#10;assert 1 == 2">self = &lt;test_a.TestThing object at 0x7fc54ccc5d90&gt;

E   AssertionError: one is not two
E     second line

tests/test_a.py:4: AssertionError</failure></testcase><testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py" line="4" time="0.000"><skipped type="pytest.skip" message="not now &amp; &lt;later&gt;">/tmp/jx/tests/test_a.py:5: not now &amp; &lt;later&gt;</skipped></testcase><testcase classname="tests.test_a" name="test_xf" file="tests/test_a.py" line="6" time="0.000"><skipped type="pytest.xfail" message="" /></testcase><testcase classname="tests.test_a" name="test_err" file="tests/test_a.py" line="11" time="0.000"><error message="failed on setup with &quot;RuntimeError: setup boom&quot;">E       RuntimeError: setup boom</error></testcase><testcase classname="tests.test_a" name="test_p[a b]" file="tests/test_a.py" line="12" time="0.000" /><testcase classname="tests.test_a" name="test_p[c::d]" file="tests/test_a.py" line="12" time="0.000"><failure message="AssertionError: assert 'c::d' != 'c::d'">E   AssertionError</failure></testcase><testcase classname="tests.test_a" name="test_teardown_err" file="tests/test_a.py" line="14" time="0.003"><error message="failed on teardown with &quot;ValueError: td&quot;">E   ValueError: td</error></testcase></testsuite></testsuites>`

const COLLECTION_ERROR = `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="0" skipped="0" tests="1" time="0.153"><testcase classname="" name="tests.test_broken" file="tests/test_broken.py" time="0.000"><error message="collection failure">ImportError while importing test module '/tmp/jx/tests/test_broken.py'.
Traceback:
tests/test_broken.py:1: in &lt;module&gt;
    import nonexistent_mod
E   ModuleNotFoundError: No module named 'nonexistent_mod'</error></testcase></testsuite></testsuites>`

describe('parseJunit', () => {
  it('counts outcomes per testcase and names each failure with its node id and first message line', () => {
    const summary = parseJunit(XUNIT1)
    expect(summary).toMatchObject({ passed: 2, failed: 2, skipped: 2, errors: 2, total: 8, durationMs: 43 })
    expect(summary.failures).toEqual([
      { id: 'tests/test_a.py::TestThing::test_bad', message: 'AssertionError: one is not two' },
      { id: 'tests/test_a.py::test_err', message: 'failed on setup with "RuntimeError: setup boom"' },
      { id: "tests/test_a.py::test_p[c::d]", message: "AssertionError: assert 'c::d' != 'c::d'" },
      { id: 'tests/test_a.py::test_teardown_err', message: 'failed on teardown with "ValueError: td"' },
    ])
  })

  it('names a module that failed to import by its file and the exception raised', () => {
    const summary = parseJunit(COLLECTION_ERROR)
    expect(summary).toMatchObject({ passed: 0, errors: 1, total: 1 })
    expect(summary.failures).toEqual([
      { id: 'tests/test_broken.py', message: "collection failure: ModuleNotFoundError: No module named 'nonexistent_mod'" },
    ])
  })

  it('reads a bare <testsuite> root, CDATA and an empty suite', () => {
    const xml = `<testsuite time="1.5"><testcase classname="t" name="a"><failure><![CDATA[boom <raw>]]></failure></testcase></testsuite>`
    expect(parseJunit(xml)).toMatchObject({ failed: 1, total: 1, durationMs: 1500, failures: [{ id: 't.py::a', message: 'boom <raw>' }] })
    expect(parseJunit('<testsuites><testsuite tests="0" time="0"/></testsuites>')).toMatchObject({ total: 0, passed: 0 })
  })

  it('rejects what is not a JUnit report', () => {
    expect(() => parseJunit('<html><body/></html>')).toThrow(/expected <testsuites>/)
    expect(() => parseJunit('not xml')).toThrow(/no root element/)
    expect(() => parseJunit('<testsuites><testsuite>')).toThrow(/unclosed/)
  })
})

describe('testId', () => {
  it('splits an xunit2 classname where the module file is', () => {
    const files = new Set(['tests/unit/test_model.py'])
    const exists = (p: string) => files.has(p)
    expect(testId({ classname: 'tests.unit.test_model.TestFit', name: 'test_x' }, { exists })).toBe('tests/unit/test_model.py::TestFit::test_x')
    expect(testId({ classname: 'tests.unit.test_model', name: 'test_y[1]' }, { exists })).toBe('tests/unit/test_model.py::test_y[1]')
    // Without the file system: class names start upper-case.
    expect(testId({ classname: 'tests.test_a.TestThing', name: 'test_ok' })).toBe('tests/test_a.py::TestThing::test_ok')
  })
})

describe('parseXml', () => {
  it('decodes entities and numeric references, skips comments and declarations, keeps quoted >', () => {
    const el = parseXml(`<?xml version="1.0"?><!DOCTYPE x><!-- c --><a k='1 &gt; 0' j="&#x41;&#66;">x &amp; y<b/></a>`)
    expect(el).toMatchObject({ name: 'a', attrs: { k: '1 > 0', j: 'AB' }, text: 'x & y' })
    expect(el.children.map((c) => c.name)).toEqual(['b'])
  })
})
