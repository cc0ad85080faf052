import { describe, expect, it } from 'vitest'
import { parsePrometheusText } from './prometheus-text.js'

describe('parsePrometheusText', () => {
  it('parses HELP/TYPE, labels with escapes, special values and timestamps', () => {
    const scrape = parsePrometheusText([
      '# HELP http_requests_total The total number of HTTP requests.\\nSecond line \\\\ end',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '# a free comment',
      '',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'nan_value NaN',
      'neg_inf -Inf',
      'trailing_comma{a="1",} 2\r',
      'spaces { a = "x" , b="y" } 3',
    ].join('\n'))
    expect(scrape.types).toEqual({ http_requests_total: 'counter' })
    expect(scrape.help.http_requests_total).toBe('The total number of HTTP requests.\nSecond line \\ end')
    const [a, b, c, d, e, f, g, h, i] = scrape.samples
    expect(a).toEqual({ name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestampMs: 1395066363000 })
    expect(b.value).toBe(3)
    expect(c.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' })
    expect(c.value).toBe(1458255915)
    expect(d).toEqual({ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 })
    expect(e.value).toBe(Infinity)
    expect(e.timestampMs).toBe(-3982045)
    expect(f.value).toBeNaN()
    expect(g.value).toBe(-Infinity)
    expect(h.labels).toEqual({ a: '1' })
    expect(i.labels).toEqual({ a: 'x', b: 'y' })
  })

  it('parses a histogram into its bucket, sum and count series', () => {
    const scrape = parsePrometheusText(`# TYPE d histogram
d_bucket{le="0.05"} 24054
d_bucket{le="0.1"} 33444
d_bucket{le="+Inf"} 144320
d_sum 53423
d_count 144320
`)
    expect(scrape.types.d).toBe('histogram')
    expect(scrape.samples.map((s) => [s.name, s.labels.le, s.value])).toEqual([
      ['d_bucket', '0.05', 24054], ['d_bucket', '0.1', 33444], ['d_bucket', '+Inf', 144320], ['d_sum', undefined, 53423], ['d_count', undefined, 144320],
    ])
  })

  it('labels and metrics named __proto__ or constructor are plain names', () => {
    const s = parsePrometheusText('x{__proto__="a",constructor="b"} 1\n# TYPE __proto__ gauge\n__proto__ 2')
    expect(Object.keys(s.samples[0].labels)).toEqual(['__proto__', 'constructor'])
    expect(s.samples[0].labels.constructor).toBe('b')
    expect(Object.getPrototypeOf(s.samples[0].labels)).toBe(null)
    expect(s.types.__proto__).toBe('gauge')
    expect(s.samples[1]).toMatchObject({ name: '__proto__', value: 2 })
  })

  it('an empty body is an empty scrape, not an error', () => {
    expect(parsePrometheusText('').samples).toEqual([])
    expect(parsePrometheusText('\n\n# only comments\n').samples).toEqual([])
  })

  it('rejects the whole scrape on a malformed line, naming the line', () => {
    const bad: [string, RegExp][] = [
      ['ok 1\nbroken{a="1" 2', /line 2: expected "," or "}"/],
      ['x{a="unterminated} 1', /unterminated value of label a/],
      ['x{a="\\q"} 1', /bad escape "\\q"/],
      ['x{a=1} 1', /quoted value/],
      ['x{a="1",a="2"} 1', /duplicate label a/],
      ['x abc', /bad value "abc"/],
      ['x 0x10', /bad value "0x10"/],
      ['x', /expected a value/],
      ['x 1 2 3', /expected a value/],
      ['x 1 1.5', /bad timestamp/],
      ['1x 1', /expected a metric name/],
      ['# TYPE x bogus', /unknown metric type "bogus"/],
    ]
    for (const [text, message] of bad) expect(() => parsePrometheusText(text), text).toThrow(message)
  })
})
