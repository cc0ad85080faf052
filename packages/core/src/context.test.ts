import { describe, expect, it } from 'vitest'
import { commandOf } from './context.js'

describe('ctx.command: which mlci command a run belongs to', () => {
  it('comes from the command line, a rollback request, or defaults to build for API callers', () => {
    expect(commandOf({ command: 'mlci build --only test' })).toBe('build')
    expect(commandOf({ command: 'mlci monitor --samples 3' })).toBe('monitor')
    expect(commandOf({ command: 'mlci watch --phases test' })).toBe('watch')
    expect(commandOf({ command: 'mlci rollback --to 1.2.0', rollback: { to: '1.2.0' } })).toBe('rollback')
    // A rollback request decides, whatever the command line says (an API caller's rollback).
    expect(commandOf({ rollback: {} })).toBe('rollback')
    expect(commandOf({})).toBe('build')
    expect(commandOf({ command: 'my-tool deploy-it' })).toBe('build')
  })
})
