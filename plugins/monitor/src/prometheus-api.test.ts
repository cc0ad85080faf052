import { afterEach, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../../../test/helpers/metric-server.js'
import { authHeader, queryPrometheus, renderQuery, type PrometheusServerSpec } from './prometheus-api.js'

// Fast checks of the Prometheus HTTP API client against a scripted HTTP server; the real
// server is exercised in prometheus-server.test.ts.

const servers: TestServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

describe('renderQuery', () => {
  it('fills version, address (host:port, the instance label) and url, escaped for a PromQL string', () => {
    const q = renderQuery('m{version="{{version}}",instance="{{ address }}",u="{{url}}",x="{{other}}"}', { version: '1.0.0+"a\\b', url: 'http://127.0.0.1:8080/app' })
    expect(q).toBe('m{version="1.0.0+\\"a\\\\b",instance="127.0.0.1:8080",u="http://127.0.0.1:8080/app",x="{{other}}"}')
  })
})

describe('queryPrometheus', () => {
  const spec = (address: string, auth?: PrometheusServerSpec['auth']): PrometheusServerSpec => ({ kind: 'prometheus-server', address, query: 'q', auth })
  const answer = (data: unknown) => () => ({ body: { status: 'success', data } })

  it('scalar and one-series vector are values; NaN and an empty vector are no data', async () => {
    const replies = [
      answer({ resultType: 'scalar', result: [1, '0.25'] }),
      answer({ resultType: 'vector', result: [{ metric: { job: 'm' }, value: [1, '3'] }] }),
      answer({ resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }] }),
      answer({ resultType: 'vector', result: [] }),
      () => ({ body: 'not json' }),
      answer({ resultType: 'scalar', result: [1, '+Inf'] }),
    ]
    const server = await startServer({ '/api/v1/query': (hit) => replies[hit - 1]() })
    servers.push(server)
    const got = []
    for (let i = 0; i < replies.length; i++) got.push(await queryPrometheus(spec(server.url), 'q', { timeoutMs: 2000, headers: {} }))
    expect(got.slice(0, 2)).toEqual([{ value: 0.25 }, { value: 3 }])
    expect(got[2].noData).toMatch(/"q" is NaN for \{job=|"q" is NaN/)
    expect(got[3].noData).toBe('"q" returned no series')
    expect(got[4].error).toMatch(/HTTP 200 for "q": not json/)
    expect(got[5]).toEqual({ value: Infinity, noData: '"q" is Infinity' })
  })

  it('a range query reduces its one series (NaN points are gaps) and sends start/end/step', async () => {
    const forms: URLSearchParams[] = []
    const server = await startServer({ '/api/v1/query_range': (_hit, { body }) => {
      forms.push(new URLSearchParams(body))
      return { body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '0.1'], [2, 'NaN'], [3, '0.4'], [4, '0.2']] }] } } }
    } })
    servers.push(server)
    const got = []
    for (const reduce of ['last', 'avg', 'min', 'max'] as const) {
      got.push((await queryPrometheus({ ...spec(server.url), range: { durationMs: 60_000, stepMs: 15_000, reduce } }, 'q', { timeoutMs: 2000, headers: {} })).value)
    }
    expect(got.map((v) => Number(v.toFixed(6)))).toEqual([0.2, 0.233333, 0.1, 0.4])
    const f = forms[0]
    expect(f.get('query')).toBe('q')
    expect(Number(f.get('end')) - Number(f.get('start'))).toBeCloseTo(60, 3)
    expect(f.get('step')).toBe('15')
  })

  it('sends the bearer token from the env and never puts it in a message', async () => {
    const seen: string[] = []
    const server = await startServer({ '/api/v1/query': (_hit, { req }) => {
      seen.push(String(req.headers.authorization))
      return { status: 401, body: 'unauthorized' }
    } })
    servers.push(server)
    const headers = authHeader({ bearerTokenEnv: 'PROM_TOKEN' }, { PROM_TOKEN: 's3cr3t-token' })
    const got = await queryPrometheus(spec(server.url), 'q', { timeoutMs: 2000, headers })
    expect(seen).toEqual(['Bearer s3cr3t-token'])
    expect(got.error).toMatch(/HTTP 401 for "q": unauthorized/)
    expect(got.error).not.toContain('s3cr3t')
    expect(authHeader({ usernameEnv: 'U', passwordEnv: 'P' }, { U: 'me', P: 'pw' })).toEqual({ authorization: `Basic ${Buffer.from('me:pw').toString('base64')}` })
    expect(() => authHeader({ bearerTokenEnv: 'NOPE' }, {})).toThrow('the environment variable NOPE (prometheus auth) is not set')
  })
})
