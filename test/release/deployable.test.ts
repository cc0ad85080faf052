import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { predict, registryState } from '../rollback/project.js'
import { cliIn, usePipelineProject } from './pipeline.js'

// The server code is part of a release: real training, semver, the local deployer and its
// Python server, through the CLI.
let dir: string
let port: number
const mlci = cliIn(() => dir)
const versions = () => Object.keys(registryState(dir).versions).map((v) => v.split('+')[0])

usePipelineProject((d, p) => {
  dir = d
  port = p
})

describe('the deployable is versioned', { timeout: 300_000 }, () => {
  it('a changed serve.py makes a new patch version ("server changed") and a new deploy, with the same model', async () => {
    expect((await mlci(['build'])).code).toBe(0)
    const original = readFileSync(join(dir, 'serve.py'), 'utf8')
    appendFileSync(join(dir, 'serve.py'), '\n# a server change\n')
    const r = await mlci(['build'])
    expect(r.code, r.output).toBe(0)
    expect(versions()).toEqual(['0.1.0', '0.1.1'])
    const reg = registryState(dir)
    const v2 = Object.keys(reg.versions).find((v) => v.startsWith('0.1.1'))!
    expect(reg.aliases.live).toBe(v2)
    expect(reg.versions[v2].digest).toBe(reg.versions[Object.keys(reg.versions)[0]].digest) // same model
    expect(r.output).toMatch(/patch — server changed \(serve\.py, options\)/)
    expect(await predict(port)).toMatchObject({ status: 200, version: v2 })
    // Unchanged again: nothing new.
    expect((await mlci(['build'])).code).toBe(0)
    expect(versions()).toEqual(['0.1.0', '0.1.1'])
    writeFileSync(join(dir, 'serve.py.orig'), original)
  })

  it('a changed deployer option makes a new version too', async () => {
    const r = await mlci(['build'], { FAULT_ERROR_RATE: '0' })
    expect(r.code, r.output).toBe(0)
    expect(versions()).toEqual(['0.1.0', '0.1.1', '0.1.2'])
  })

  it('a rollback runs the server code released with the target, not today\'s serve.py', async () => {
    // Today's serve.py is broken; 0.1.1 was released with a working one.
    writeFileSync(join(dir, 'serve.py'), 'raise SystemExit("broken")\n')
    const r = await mlci(['rollback'])
    expect(r.code, r.output).toBe(0)
    expect((await predict(port)).status).toBe(200)
    expect(registryState(dir).aliases.live).toMatch(/^0\.1\.1/)
  })
})
