// vitest globalSetup: makes `npm test` self-sufficient on a fresh machine of this kind.
//   1. build what the tests load when any source is newer than dist (see build.ts);
//   2. make sure the services answer, provisioning them as root (see services.ts).
// Each step says what it did and how long it took.
// MLCI_TEST_NO_SERVICES=1 skips step 2 (to run unit test files without services as a
// non-root user; tests that need a service then fail one by one, saying how to get it).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, checkFreshness } from './build.js'
import { ENV_FILE, loadEnv, missingServices, provision } from './services.js'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..')
const say = (line: string) => process.stderr.write(`[test setup] ${line}\n`)
const since = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`

export default async function setup(): Promise<void> {
  let t0 = performance.now()
  const fresh = checkFreshness(REPO)
  if (fresh.reason) {
    say(`building (${fresh.reason}): tsc -b + bundle…`)
    build(REPO)
    say(`built in ${since(t0)}`)
  } else {
    say(`dist is up to date (${fresh.inputs} inputs checked in ${Math.round(performance.now() - t0)} ms)`)
  }

  if (process.env.MLCI_TEST_NO_SERVICES) {
    say('MLCI_TEST_NO_SERVICES is set: not checking services; tests that need one will fail saying so')
    return
  }
  t0 = performance.now()
  let missing = await missingServices()
  let provisioned = false
  if (missing.length) {
    const list = missing.map((m) => `  - ${m}`).join('\n')
    if (process.getuid?.() !== 0) {
      throw new Error(`Services the tests need are not running:\n${list}\nRun as root: \`bash .ci/services.sh\` (installs and starts them, ~3–5 min the first time), then rerun the tests.\nOr set MLCI_TEST_NO_SERVICES=1 to run only tests that need none (the others fail).`)
    }
    say(`services missing:\n${list}\n[test setup] running bash .ci/services.sh (installs and starts them; ~3–5 min on a fresh machine, seconds when they exist)…`)
    provision(REPO)
    provisioned = true
    missing = await missingServices()
    if (missing.length) throw new Error(`Still missing after .ci/services.sh:\n${missing.map((m) => `  - ${m}`).join('\n')}`)
  }
  const loaded = loadEnv(provisioned)
  say(`services ${provisioned ? 'provisioned' : 'answer'} in ${since(t0)}; loaded ${loaded.length} variables from ${ENV_FILE}`)
}
