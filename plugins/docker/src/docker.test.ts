// The docker deployer on the real engine and registry (.ci/services.sh), with the classifier
// fixture's real model server. One deployment walks through release, no-op, failed release,
// rollback, a missing image, an unreachable engine and pushes; each step builds on the last.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Mlci, MlciError, definePlugin, resolveConfig, type DeployRequest, type LogEntry, type PhaseContext, type RunResult } from '@mlci/core'
import { copyFixture } from '../../../test/helpers/testdir.js'
import { waitUntil } from '../../../test/helpers/wait.js'
import { cleanupDeployment, describeDocker, docker, freePort, predict, servicesEnv, train } from '../test/docker-env.js'
import dockerPlugin, { type DockerOptions } from './index.js'

const env = servicesEnv()
const NAME = `t${randomBytes(4).toString('hex')}`
const CONTAINER = `mlci-${NAME}`
const IMAGE = `mlci-test/${NAME}`
const REGISTRY = env.MLCI_TEST_REGISTRY ?? '127.0.0.1:5000'

/** Stands in for the version phase: records the next version (pending; core makes it ready once deployed) with the model's digest. */
const next = { version: '1.0.0' }
const versionPlugin = definePlugin(() => ({
  name: 'test-version',
  apply(mlci) {
    mlci.hooks.version.tapPromise('test-version', async (_proposal, ctx) => {
      const { version } = next
      if (!(await ctx.registry.get(version))) {
        // In the store, as a versioner does: a version is never made ready without its blobs.
        const { digest, size } = await ctx.store.put(join(ctx.cwd, 'out/model.json'))
        await ctx.registry.create({ version, runId: ctx.runId, fingerprint: `fp-${version}`, artifacts: [{ path: 'out/model.json', digest, size }] })
      }
      return { version, bump: 'minor', reason: 'test' }
    })
  },
}))

describeDocker('@mlci/plugin-docker on a real engine', () => {
  let dir: string
  let port: number
  let base: DockerOptions
  const logs: LogEntry[] = []

  beforeAll(async () => {
    dir = copyFixture('classifier')
    train(dir)
    port = await freePort()
    base = {
      image: IMAGE, name: NAME, port, buildArgs: { BASE: env.MLCI_TEST_BASE_IMAGE ?? 'mlci-python:bookworm' },
      health: { intervalMs: 100, timeoutMs: 5000, successes: 2 }, keepImages: 1, stopTimeout: 2,
    }
  })
  afterAll(() => cleanupDeployment(NAME))

  async function project(options: DockerOptions = base, extraEnv: Record<string, string> = {}): Promise<Mlci> {
    const config = await resolveConfig({ plugins: [versionPlugin(), dockerPlugin(options)] }, undefined, dir)
    const mlci = new Mlci({ config, env: { ...env, ...extraEnv } as NodeJS.ProcessEnv })
    mlci.on('log', (entry) => logs.push(entry))
    return mlci
  }
  async function release(version: string, mlci?: Mlci): Promise<RunResult> {
    next.version = version
    return (mlci ?? (await project())).run({ only: ['version', 'deploy'], command: 'mlci build' })
  }
  function context(mlci: Mlci, command: string): PhaseContext {
    return { ...mlci.createContext({ command }, new AbortController().signal, `test-${Date.now()}`, []), phase: 'rollback' }
  }
  /** What the rollback policy does: the deployer brings the target up, the release state points live at it. */
  async function rollbackTo(mlci: Mlci, version: string): Promise<void> {
    const ctx = context(mlci, 'mlci rollback')
    const request: DeployRequest = { version, reason: 'rollback', record: await mlci.registry.get(version), note: `rollback to ${version}: test` }
    await mlci.hooks.deploy.promise(request, ctx)
    await ctx.release.goLive(version, request.note!)
  }
  const containerId = () => docker(['container', 'inspect', '--format', '{{.Id}}', CONTAINER]).out.trim()
  const imageExists = (ref: string) => docker(['image', 'inspect', ref]).code === 0
  const since = (n: number) => logs.slice(n).map((l) => l.message).join('\n')

  it('verify: the engine answers and the base image exists', async () => {
    const result = await (await project()).run({ only: ['verify'] })
    expect(result.error).toBeUndefined()
  })

  it('releases v1: builds, labels, runs with --init, waits for health, moves live', async () => {
    const mlci = await project()
    const result = await release('1.0.0', mlci)
    expect(result.error).toBeUndefined()
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    expect((await mlci.registry.aliases()).live).toBe('1.0.0')
    const record = await mlci.registry.get('1.0.0')
    expect(record?.image).toMatchObject({ name: IMAGE, tag: '1.0.0', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) })
    expect(result.record.data.deployment).toMatchObject({ version: '1.0.0', target: 'docker', imageDigest: record!.image!.digest })

    const labels = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', record!.image!.digest!]).out) as Record<string, string>
    expect(labels['org.opencontainers.image.version']).toBe('1.0.0')
    expect(labels['io.mlci.model.digest']).toBe(record!.artifacts![0].digest)
    const host = JSON.parse(docker(['container', 'inspect', '--format', '{{json .HostConfig}}', CONTAINER]).out) as { Init: boolean; NetworkMode: string }
    expect(host).toMatchObject({ Init: true, NetworkMode: 'host', RestartPolicy: { Name: 'unless-stopped' } }) // once healthy
  })

  it('deploying the live version again is a no-op that says so', async () => {
    const before = containerId()
    const n = logs.length
    const result = await release('1.0.0')
    expect(result.error).toBeUndefined()
    expect(result.record.data.deployment?.unchanged).toBe(true)
    expect(since(n)).toMatch(/1\.0\.0 is already live and healthy/)
    expect(containerId()).toBe(before)
  })

  it('a release that never becomes healthy fails, and v1 answers again (a restart, not a rebuild)', async () => {
    const mlci = await project({ ...base, env: { MLCI_FAULT_UNHEALTHY: '1' }, health: { ...base.health, timeoutMs: 2500 } })
    const running = release('1.1.0', mlci)
    // While unverified, the new container must not come back by itself (engine restart, reboot).
    let policy = ''
    await waitUntil(() => {
      const c = docker(['container', 'inspect', '--format', '{{index .Config.Labels "io.mlci.version"}} {{.HostConfig.RestartPolicy.Name}}', CONTAINER]).out.trim()
      if (c.startsWith('1.1.0 ')) policy = c.split(' ')[1]
      return Boolean(policy)
    }, 'the 1.1.0 container exists', 60_000, 25) // a build under load can take tens of seconds
    expect(policy).toBe('no')
    const result = await running
    const error = result.error as MlciError
    expect(MlciError.is(error)).toBe(true)
    expect(error.code).toBe('MLCI_UNHEALTHY')
    expect(error.message).toMatch(/1\.1\.0 did not become healthy/)
    expect(error.details).toMatch(/Restored 1\.0\.0/)
    expect(error.details).toMatch(/serve: listening on .*version=1\.1\.0/) // the container's own log
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    expect((await mlci.registry.aliases()).live).toBe('1.0.0')
    expect(docker(['container', 'inspect', `${CONTAINER}-previous`]).code).not.toBe(0)
    const journal = readFileSync(join(dir, '.mlci/journal.jsonl'), 'utf8')
    expect(journal).toMatch(/"type":"abort","step":"docker.swap"/)
  })

  it('releases 1.2.0+build.7: tag maps "+", previous moves, v1 kept stopped, older images pruned', async () => {
    const mlci = await project()
    const result = await release('1.2.0+build.7', mlci)
    expect(result.error).toBeUndefined()
    expect(await predict(port)).toEqual({ status: 200, version: '1.2.0+build.7' })
    const aliases = await mlci.registry.aliases()
    expect(aliases).toMatchObject({ live: '1.2.0+build.7', previous: '1.0.0' })
    expect((await mlci.registry.get('1.2.0+build.7'))?.image?.tag).toBe('1.2.0_build.7')
    const parked = docker(['container', 'inspect', '--format', '{{.State.Running}} {{index .Config.Labels "io.mlci.version"}}', `${CONTAINER}-previous`]).out.trim()
    expect(parked).toBe('false 1.0.0')
    // keepImages 1, pruned after the verdict: the failed 1.1.0 goes; 1.0.0 stays because it is ready (a rollback target).
    expect(imageExists(`${IMAGE}:1.1.0`)).toBe(false)
    expect(imageExists(`${IMAGE}:1.0.0`)).toBe(true)
    expect(imageExists(`${IMAGE}:1.2.0_build.7`)).toBe(true)
  })

  it('a rollback restarts the kept container of the target, by its recorded image', async () => {
    const mlci = await project()
    const images = docker(['image', 'ls', '-q', '--filter', `label=io.mlci.name=${NAME}`]).out
    const n = logs.length
    await rollbackTo(mlci, '1.0.0')
    expect(since(n)).toMatch(/Restarting the kept container of 1\.0\.0/)
    expect(docker(['image', 'ls', '-q', '--filter', `label=io.mlci.name=${NAME}`]).out).toBe(images) // nothing built
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    expect((await mlci.registry.aliases()).live).toBe('1.0.0')
    const last = (await mlci.registry.ledger()).at(-1)
    expect(last).toMatchObject({ alias: 'live', from: '1.2.0+build.7', to: '1.0.0', by: 'mlci rollback', reason: 'rollback to 1.0.0: test' })
  })

  it('the image deleted by hand: a rollback to it fails clearly and changes nothing', async () => {
    const mlci = await project()
    expect(docker(['rm', '-f', `${CONTAINER}-previous`]).code).toBe(0)
    expect(docker(['image', 'rm', `${IMAGE}:1.2.0_build.7`]).code).toBe(0)
    const before = containerId()
    const error = await rollbackTo(mlci, '1.2.0+build.7').then(() => undefined, (e: unknown) => e as MlciError)
    expect(error?.code).toBe('MLCI_DEPLOY_TARGET_MISSING')
    expect(error?.message).toMatch(/image of version 1\.2\.0\+build\.7 .* no longer exists/)
    expect(containerId()).toBe(before)
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    expect((await mlci.registry.aliases()).live).toBe('1.0.0')
  })

  it('after a deploy killed mid-swap, the next deploy puts the live version back first', async () => {
    // What a `kill -9` between "park the current container" and "new one healthy" leaves behind.
    expect(docker(['stop', '--time', '2', CONTAINER]).code).toBe(0)
    expect(docker(['rename', CONTAINER, `${CONTAINER}-previous`]).code).toBe(0)
    const half = docker(['run', '-d', '--name', CONTAINER, '--label', 'io.mlci.version=1.9.9', '--network', 'host', env.MLCI_TEST_BUSYBOX_IMAGE ?? 'mlci-busybox:latest', 'sleep', '300'])
    expect(half.code, half.out).toBe(0)
    const n = logs.length
    const result = await release('1.0.0')
    expect(result.error).toBeUndefined()
    expect(since(n)).toMatch(/interrupted deploy: .* serves 1\.9\.9 but live is 1\.0\.0/)
    expect(result.record.data.deployment?.unchanged).toBe(true)
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    expect(docker(['container', 'inspect', `${CONTAINER}-previous`]).code).not.toBe(0)
  })

  it('DOCKER_HOST pointing nowhere: an actionable error before anything is built or recorded', async () => {
    const mlci = await project(base, { DOCKER_HOST: 'tcp://127.0.0.1:9' })
    next.version = '9.0.0'
    const result = await mlci.run({ only: ['verify', 'version', 'deploy'] })
    const error = result.error as MlciError
    expect(error.code).toBe('MLCI_VERIFY_FAILED')
    expect(error.message).toMatch(/Docker engine not reachable at tcp:\/\/127\.0\.0\.1:9/)
    expect(error.hint).toMatch(/DOCKER_HOST is set to "tcp:\/\/127\.0\.0\.1:9"/)
    expect(await mlci.registry.get('9.0.0')).toBeUndefined()
    // Called directly (as `mlci rollback` does, without verify), deploy checks the engine first too.
    const direct = await mlci.hooks.deploy.promise({ version: '1.0.0', reason: 'release' }, context(mlci, 'mlci build')).then(() => undefined, (e: unknown) => e as MlciError)
    expect(direct?.code).toBe('MLCI_VERIFY_FAILED')
    expect(imageExists(`${IMAGE}:9.0.0`)).toBe(false)
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
  })

  it('generates a Dockerfile that copies the model artifact and the server', async () => {
    const generate = { base: env.MLCI_TEST_BASE_IMAGE ?? 'mlci-python:bookworm', copy: ['serve.py', 'out/model.json'], cmd: ['python3', '/app/serve.py', '--model', '/app/out/model.json'] }
    const result = await release('2.0.0', await project({ ...base, buildArgs: undefined, generate }))
    expect(result.error).toBeUndefined()
    expect(await predict(port)).toEqual({ status: 200, version: '2.0.0' })
  })

  // Pushes use a busybox image serving a static /health: pushing the 260 MB Python base to the
  // fresh CI registry would take ~20 s and prove nothing more.
  describeRegistry()

  function describeRegistry() {
    const pushOptions = (): DockerOptions => ({
      ...base,
      buildArgs: undefined,
      registry: { url: REGISTRY, usernameEnv: 'MLCI_TEST_REGISTRY_USER', passwordEnv: 'MLCI_REG_PASS' },
      generate: { base: env.MLCI_TEST_BUSYBOX_IMAGE ?? 'mlci-busybox:latest', copy: ['www'], cmd: ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/app/www'] },
    })
    const password = env.MLCI_TEST_REGISTRY_PASSWORD ?? ''
    const wrong = `wrong-${randomBytes(12).toString('hex')}`
    const configDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('mlci-docker-config-'))
    const serving = () => docker(['container', 'inspect', '--format', '{{index .Config.Labels "io.mlci.version"}}', CONTAINER]).out.trim()
    const health = () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0)

    it('pushes with a registry login (password via stdin) and records the pushed digest', async () => {
      expect(password, 'MLCI_TEST_REGISTRY_PASSWORD (run .ci/services.sh)').not.toBe('')
      mkdirSync(join(dir, 'www'), { recursive: true })
      writeFileSync(join(dir, 'www/health'), 'ok\n')
      const mlci = await project(pushOptions(), { MLCI_REG_PASS: password })
      const result = await release('3.0.0', mlci)
      expect(result.error).toBeUndefined()
      expect(serving()).toBe('3.0.0')
      expect(await health()).toBe(200)
      const image = (await mlci.registry.get('3.0.0'))?.image
      expect(image?.name).toBe(`${REGISTRY}/${IMAGE}`)
      expect(image?.pushed).toMatch(new RegExp(`^${REGISTRY.replace(/\./g, '\\.')}/${IMAGE}@sha256:[0-9a-f]{64}$`))
      expect(configDirs()).toEqual([])
    })

    it('a wrong registry password: a clear error, and the password is nowhere', async () => {
      const mlci = await project(pushOptions(), { MLCI_REG_PASS: wrong })
      const verify = (await mlci.run({ only: ['verify'] })).error as MlciError
      expect(verify.code).toBe('MLCI_PUSH_FAILED')
      expect(verify.message).toMatch(/Login to registry .* failed: wrong username or password/)
      expect(verify.hint).toMatch(/MLCI_REG_PASS/)

      const n = logs.length
      const result = await release('3.1.0', mlci) // no verify phase: the image is built, the push fails
      const error = result.error as MlciError
      expect(error.code).toBe('MLCI_PUSH_FAILED')
      expect(imageExists(`${REGISTRY}/${IMAGE}:3.1.0`)).toBe(true)
      expect(serving()).toBe('3.0.0')
      expect(configDirs()).toEqual([])

      const places: Record<string, string> = {
        output: since(n),
        error: JSON.stringify({ message: error.message, hint: error.hint, details: error.details }),
        'run result': JSON.stringify(result.record),
        history: docker(['history', '--no-trunc', `${REGISTRY}/${IMAGE}:3.1.0`]).out,
        inspect: docker(['image', 'inspect', `${REGISTRY}/${IMAGE}:3.1.0`]).out,
        '.mlci': filesUnder(join(dir, '.mlci')).map((f) => readFileSync(f, 'utf8')).join('\n'),
      }
      for (const [where, text] of Object.entries(places)) {
        for (const secret of [wrong, password].filter(Boolean)) {
          expect(text.includes(secret), `password found in ${where}`).toBe(false)
          expect(text.includes(Buffer.from(secret).toString('base64')), `base64 password found in ${where}`).toBe(false)
        }
      }
    })

    it('a pushed image deleted locally is pulled back by digest for a rollback', async () => {
      const mlci = await project(pushOptions(), { MLCI_REG_PASS: password })
      expect((await release('3.2.0', mlci)).error).toBeUndefined()
      const image = (await mlci.registry.get('3.0.0'))!.image!
      const removed = docker(['rm', '-f', `${CONTAINER}-previous`])
      expect(removed.code, removed.out).toBe(0)
      const untagged = docker(['image', 'rm', `${image.name}:${image.tag}`]) // its last tag: the image goes too
      expect(untagged.code, untagged.out).toBe(0)
      expect(imageExists(image.digest!)).toBe(false)
      const n = logs.length
      await rollbackTo(mlci, '3.0.0')
      expect(since(n)).toMatch(/pulling .*@sha256:/)
      expect(serving()).toBe('3.0.0')
      expect(await health()).toBe(200)
      expect(imageExists(image.digest!)).toBe(true)
    })
  }
})

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true }).map((f) => join(root, String(f))).filter((f) => statSync(f).isFile())
}
