import { describe, expect, it } from 'vitest'
import { predict, registryState, serverPids } from '../rollback/project.js'
import { cliIn, usePipelineProject } from './pipeline.js'

// The whole pipeline (real training, semver, local deployer, monitor, rollback) on a project
// mlci has never seen, whose first release fails its monitor.
let dir: string
let port: number
const mlci = cliIn(() => dir)

usePipelineProject((d, p) => {
  dir = d
  port = p
})

describe('a failed first release does not wedge the project', { timeout: 300_000 }, () => {
  it('first release fails its monitor: failed, live never names it, nothing marked ready', async () => {
    const r = await mlci(['build'], { FAULT_ERROR_RATE: '1' })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('[MLCI_ANALYSIS_FAILED]')
    const reg = registryState(dir)
    const [first] = Object.keys(reg.versions)
    expect(reg.versions[first].status).toBe('failed')
    expect(reg.aliases.live).toBeUndefined()
    expect(reg.ledger.filter((m) => m.alias === 'live')).toEqual([])
  })

  it('the fixed pipeline releases on the next build with no manual step: exit 0, a ready version live and serving', async () => {
    const r = await mlci(['build'])
    expect(r.code, r.output).toBe(0)
    const reg = registryState(dir)
    const live = reg.aliases.live
    expect(live).toBeDefined()
    expect(reg.versions[live].status).toBe('ready')
    expect(reg.aliases.previous).toBeUndefined()
    expect(await predict(port)).toMatchObject({ status: 200, version: live })
    expect(serverPids(dir)).toHaveLength(1)
    // And the one after that is a no-op, not another burnt version.
    const again = await mlci(['build'])
    expect(again.code, again.output).toBe(0)
    expect(Object.keys(registryState(dir).versions)).toHaveLength(2)
  })

  it('`mlci registry verify` after the fault run exits 0', async () => {
    const r = await mlci(['registry', 'verify'])
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toContain('Release state verified')
  })
})
