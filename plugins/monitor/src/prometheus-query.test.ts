import { describe, expect, it } from 'vitest'
import { evaluateQuery, histogramQuantile, needsPrevious, parseQuery } from './prometheus-query.js'
import { parsePrometheusText } from './prometheus-text.js'

const scrape = (text: string) => parsePrometheusText(text)

const BEFORE = scrape(`
model_requests_total{endpoint="/predict",code="200"} 100
model_requests_total{endpoint="/health",code="200"} 40
model_errors_total 10
model_info{version="v1"} 1
lat_bucket{le="0.1"} 10
lat_bucket{le="0.2"} 10
lat_bucket{le="0.5"} 10
lat_bucket{le="+Inf"} 10
`)
const AFTER = scrape(`
model_requests_total{endpoint="/predict",code="200"} 160
model_requests_total{endpoint="/predict",code="500"} 40
model_requests_total{endpoint="/health",code="200"} 45
model_errors_total 50
model_info{version="v1"} 1
lat_bucket{le="0.1"} 60
lat_bucket{le="0.2"} 90
lat_bucket{le="0.5"} 105
lat_bucket{le="+Inf"} 110
`)
const run = (q: string, input = { previous: BEFORE, current: AFTER, elapsedSeconds: 2 }) => evaluateQuery(parseQuery(q), input)

describe('prometheus queries over two scrapes', () => {
  it('instant values sum the matching series (=, !=, =~, !~)', () => {
    expect(run('model_info{version="v1"}').value).toBe(1)
    expect(run('model_requests_total').value).toBe(245)
    expect(run('model_requests_total{endpoint="/predict"}').value).toBe(200)
    expect(run('model_requests_total{endpoint!="/predict"}').value).toBe(45)
    expect(run('model_requests_total{code=~"5.."}').value).toBe(40)
    expect(run('model_requests_total{code!~"2.*", endpoint="/predict"}').value).toBe(40)
    // a label the series does not have reads as "" (never an inherited property)
    expect(run('model_errors_total{constructor=""}').value).toBe(50)
    expect(run('model_errors_total{toString!=""}').noData).toMatch(/no series/)
    // regexes are anchored like PromQL: "5" does not match "500"
    expect(run('model_requests_total{code=~"5"}').noData).toMatch(/no series matches/)
  })

  it('increase/rate treat a new labelled series as starting at 0', () => {
    expect(run('increase(model_requests_total{endpoint="/predict"})').value).toBe(100)
    expect(run('increase(model_requests_total{code="500"})').value).toBe(40)
    expect(run('rate(model_errors_total)').value).toBe(20)
  })

  it('computes the error ratio between scrapes; 0/0 is no data, not 0', () => {
    expect(run('increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})').value).toBeCloseTo(0.4)
    const idle = run('increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})', { previous: AFTER, current: AFTER, elapsedSeconds: 2 })
    expect(idle.value).toBeNaN()
    expect(idle.noData).toMatch(/denominator is 0/)
  })

  it('a counter lower than before was reset: the new value is the increase', () => {
    const restarted = scrape('model_errors_total 3\nmodel_requests_total{endpoint="/predict"} 12')
    expect(run('increase(model_errors_total)', { previous: AFTER, current: restarted, elapsedSeconds: 1 }).value).toBe(3)
    expect(run('increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})', { previous: AFTER, current: restarted, elapsedSeconds: 1 }).value).toBe(0.25)
  })

  it('histogram_quantile interpolates inside the bucket of the increase', () => {
    // increases: le 0.1 → 50, 0.2 → 80, 0.5 → 95, +Inf → 100
    expect(run('histogram_quantile(0.5, lat_bucket)').value).toBeCloseTo(0.1)
    expect(run('histogram_quantile(0.9, lat)').value).toBeCloseTo(0.4)
    expect(run('histogram_quantile(0.95, lat_bucket)').value).toBeCloseTo(0.5)
    // a rank in the +Inf bucket answers the highest finite bound
    expect(run('histogram_quantile(0.99, lat_bucket)').value).toBe(0.5)
    expect(run('histogram_quantile(0.95, lat_bucket)', { previous: AFTER, current: AFTER, elapsedSeconds: 1 }).noData).toMatch(/no observations/)
  })

  it('histogram buckets that reset are handled per bucket', () => {
    const reset = scrape('lat_bucket{le="0.1"} 1\nlat_bucket{le="0.2"} 3\nlat_bucket{le="0.5"} 4\nlat_bucket{le="+Inf"} 4')
    expect(run('histogram_quantile(0.5, lat_bucket)', { previous: AFTER, current: reset, elapsedSeconds: 1 }).value).toBeCloseTo(0.15)
  })

  it('histogramQuantile sums buckets of several series per le and fixes non-monotonic counts', () => {
    const b = (le: string, value: number, pod = 'a') => ({ name: 'x_bucket', labels: { le, pod }, value })
    expect(histogramQuantile(0.5, [b('1', 2), b('+Inf', 4), b('1', 2, 'b'), b('+Inf', 4, 'b')]).value).toBe(1)
    expect(histogramQuantile(0.5, [b('1', 5), b('2', 4), b('+Inf', 10)]).value).toBe(1)
    expect(histogramQuantile(0.5, [b('+Inf', 4)]).noData).toMatch(/at least two buckets/)
  })

  it('says which queries need a previous scrape', () => {
    expect(needsPrevious(parseQuery('x'))).toBe(false)
    expect(needsPrevious(parseQuery('x / rate(y)'))).toBe(true)
    expect(needsPrevious(parseQuery('histogram_quantile(0.5, h)'))).toBe(true)
    expect(run('increase(model_errors_total)', { previous: undefined as never, current: AFTER, elapsedSeconds: 0 }).noData).toMatch(/no previous scrape/)
  })

  it('rejects malformed or unsupported queries with a position', () => {
    const bad: [string, RegExp][] = [
      ['rate(x[5m])', /no range selector needed/],
      ['sum(x)', /unsupported function "sum"/],
      ['histogram_quantile(1.5, h)', /between 0 and 1/],
      ['x{a="1"', /expected "}"/],
      ['x{a~"1"}', /expected =, !=, =~ or !~/],
      ['x{a=~"("}', /bad regex/],
      ['x / ', /expected a metric name/],
      ['x y', /unexpected "y"/],
    ]
    for (const [q, message] of bad) expect(() => parseQuery(q), q).toThrow(message)
  })
})
