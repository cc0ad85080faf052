import { describe, expect, it } from 'vitest'
import { Redactor, secretsFromEnv } from './redact.js'

describe('Redactor', () => {
  const r = new Redactor(['s3cr3t pass/word'])
  it('masks the literal, URL-encoded (either hex case, + for space) and base64 forms', () => {
    expect(r.redact('a s3cr3t pass/word b')).toBe('a [redacted] b')
    expect(r.redact('u=s3cr3t%20pass%2Fword')).toBe('u=[redacted]')
    expect(r.redact('u=s3cr3t+pass%2fword&x')).toBe('u=[redacted]&x')
    expect(r.redact(Buffer.from('s3cr3t pass/word').toString('base64'))).toBe('[redacted]')
  })
  it('picks secrets from env names that look secret, ignores short values', () => {
    const s = secretsFromEnv({ GITHUB_TOKEN: 'ghp_abcdef123', DB_PASSWORD: 'pw-long-enough', HOME: '/root', API_KEY: 'x' })
    expect(s).toEqual(['ghp_abcdef123', 'pw-long-enough', 'x'])
    expect(new Redactor(s).redact('ghp_abcdef123 pw-long-enough /root x')).toBe('[redacted] [redacted] /root x')
  })
  it('does not treat the shell\'s PWD/OLDPWD (paths in every message) as secrets, but DB_PWD is one', () => {
    expect(secretsFromEnv({ PWD: '/work/project', OLDPWD: '/work', DB_PWD: 'hunter2-long' })).toEqual(['hunter2-long'])
  })
  it('masks the hex and \\u-escaped forms and any letter case (report ids are lower-cased)', () => {
    const t = new Redactor(['Tok3n-ABCdef'])
    expect(t.redact(`hex ${Buffer.from('Tok3n-ABCdef').toString('hex')} HEX ${Buffer.from('Tok3n-ABCdef').toString('hex').toUpperCase()}`)).toBe('hex [redacted] HEX [redacted]')
    const escaped = [...'Tok3n-ABCdef'].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
    expect(t.redact(`json "${escaped}" mixed T\\u006fk3n-ABCdef`)).toBe('json "[redacted]" mixed [redacted]')
    expect(t.redact('id="metric-tok3n-abcdef"')).toBe('id="metric-[redacted]"')
    expect(t.redactDeep({ [`key-${escaped}`]: `v ${escaped}` })).toEqual({ 'key-[redacted]': 'v [redacted]' })
  })
  it('treats the password inside any URL-valued env var as a secret, whatever the name', () => {
    const secrets = secretsFromEnv({ MLCI_REGISTRY_URL: 'postgres://mlci:s3cr%40t-pw@db:5432/mlci', HOMEPAGE: 'https://example.com/x', NO_PW: 'postgres://mlci@db/x' })
    expect(secrets).toEqual(['s3cr@t-pw'])
    expect(new Redactor(secrets).redact('postgres://mlci:s3cr%40t-pw@db:5432/mlci')).toBe('postgres://mlci:[redacted]@db:5432/mlci')
  })

  it('redacts deep JSON values', () => {
    expect(r.redactDeep({ a: ['s3cr3t pass/word'] })).toEqual({ a: ['[redacted]'] })
  })
})
