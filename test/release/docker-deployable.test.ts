import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cleanupDeployment, describeDocker, docker, freePort, predict, servicesEnv } from '../../plugins/docker/test/docker-env.js'
import { runCli } from '../helpers/cli.js'
import { copyFixture } from '../helpers/testdir.js'
import { classifierConfig } from './pipeline.js'

// The Docker deployable is versioned: real training, semver and the docker deployer on the real
// engine, through the CLI. The Dockerfile, the files of the build context Docker would send
// (.dockerignore respected) and the deployer's options are part of a release.
const env = servicesEnv()
const NAME = `v${randomBytes(4).toString('hex')}`
let dir: string
let port: number

function config(extraEnv: Record<string, string> = {}, operational: Record<string, unknown> = {}): string {
  const docker = {
    image: `mlci-test/${NAME}`, name: NAME, port, buildArgs: { BASE: env.MLCI_TEST_BASE_IMAGE ?? 'mlci-python:bookworm' },
    env: extraEnv, health: { intervalMs: 100, timeoutMs: 20000, successes: 1 }, stopTimeout: 1, keepImages: 5, ...operational,
  }
  return classifierConfig({
    imports: ["import docker from '@mlci/plugin-docker'", "import rollback from '@mlci/plugin-rollback'"],
    plugins: [`docker(${JSON.stringify(docker)})`, 'rollback()'],
  })
}

const mlci = (args: string[]) => runCli(args, { cwd: dir, env: { ...env }, timeoutMs: 180_000 })

/** Versions (without build metadata) → the image ID each was deployed with. */
function images(): Record<string, string | undefined> {
  const out = execFileSync(process.execPath, ['-e', `
    import('@mlci/core').then(async ({ createEmbeddedRegistry }) => {
      const r = createEmbeddedRegistry(${JSON.stringify(join(dir, '.mlci'))})
      console.log(JSON.stringify(Object.fromEntries((await r.list()).map((v) => [v.version.split('+')[0], v.image?.digest]))))
    })`], { cwd: dir, encoding: 'utf8' })
  return JSON.parse(out)
}
const running = () => docker(['container', 'inspect', '--format', '{{.Id}} {{.Image}}', `mlci-${NAME}`]).out.trim().split(' ')

describeDocker('the docker deployable is versioned (CLI, real engine)', () => {
  beforeAll(async () => {
    port = await freePort()
    dir = copyFixture('classifier', { 'mlci.config.ts': '' })
    writeFileSync(join(dir, 'mlci.config.ts'), config())
  })
  afterAll(() => cleanupDeployment(NAME))

  it('first release, then an unchanged project makes no new version and no new deploy', async () => {
    const first = await mlci(['build'])
    expect(first.code, first.output).toBe(0)
    expect(Object.keys(images())).toEqual(['0.1.0'])
    expect((await predict(port)).status).toBe(200)
    const [container] = running()
    // An edit to a file .dockerignore excludes (tests/) is not part of the image, and health
    // checks, pruning and command bounds are how it is run, not what is deployed: nothing new.
    writeFileSync(join(dir, 'mlci.config.ts'), config({}, { keepImages: 4, health: { intervalMs: 50, timeoutMs: 15000, successes: 1 }, timeouts: { build: '20m' } }))
    mkdirSync(join(dir, 'tests', 'notes'), { recursive: true })
    writeFileSync(join(dir, 'tests', 'notes', 'todo.txt'), 'not in the image\n')
    const again = await mlci(['build'])
    expect(again.code, again.output).toBe(0)
    expect(again.output).toContain('no new version')
    expect(Object.keys(images())).toEqual(['0.1.0'])
    expect(running()[0]).toBe(container)
  }, 300_000)

  it('a changed Dockerfile makes a patch version ("server changed") with a new image and container', async () => {
    const [container, image] = running()
    appendFileSync(join(dir, 'Dockerfile'), 'LABEL io.mlci.test.change="dockerfile"\n')
    const r = await mlci(['build'])
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/patch — server changed \(Dockerfile \+ \d+ context files, options\)/)
    const recorded = images()
    expect(Object.keys(recorded)).toEqual(['0.1.0', '0.1.1'])
    const [newContainer, newImage] = running()
    expect(newContainer).not.toBe(container)
    expect(newImage).not.toBe(image)
    expect(newImage).toBe(recorded['0.1.1'])
    expect(await predict(port)).toMatchObject({ status: 200, version: expect.stringMatching(/^0\.1\.1/) })
  }, 300_000)

  it('a changed context file (serve.py) and a changed deployer option each make a new version', async () => {
    appendFileSync(join(dir, 'serve.py'), '\n# a server change\n')
    const served = await mlci(['build'])
    expect(served.code, served.output).toBe(0)
    writeFileSync(join(dir, 'mlci.config.ts'), config({ GREETING: 'hello' }))
    const option = await mlci(['build'])
    expect(option.code, option.output).toBe(0)
    expect(Object.keys(images())).toEqual(['0.1.0', '0.1.1', '0.1.2', '0.1.3'])
    expect(docker(['inspect', '--format', '{{json .Config.Env}}', `mlci-${NAME}`]).out).toContain('GREETING=hello')
  }, 300_000)

  it('a rollback runs the image built for the target version', async () => {
    const recorded = images()
    const r = await mlci(['rollback', '--to', '0.1.1'])
    expect(r.code, r.output).toBe(0)
    expect(running()[1]).toBe(recorded['0.1.1'])
    // 0.1.1's image has the old serve.py, whatever today's file says.
    const inImage = docker(['run', '--rm', '--entrypoint', 'cat', recorded['0.1.1']!, '/app/serve.py']).out
    expect(inImage).not.toContain('# a server change')
    expect(readFileSync(join(dir, 'serve.py'), 'utf8')).toContain('# a server change')
    expect(await predict(port)).toMatchObject({ status: 200, version: expect.stringMatching(/^0\.1\.1/) })
  }, 300_000)
})
