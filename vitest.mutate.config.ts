// The vitest config `npm run mutate` (Stryker) uses: only the fast in-process unit tests of the
// mutated modules. Each mutant reruns the tests that covered it, so every second here is paid
// hundreds of times. Left out, because they cannot see a mutant: CLI tests (they run the built
// bundle) and tests whose subject runs in child processes importing dist (lock.test.ts, the
// registry's kill -9 and eight-process tests); no globalSetup either (nothing here needs dist
// or services).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // Plugins import '@mlci/core' (its dist bundle in normal runs): point it at the source so a
    // mutant in core is seen by the plugin tests too.
    alias: { '@mlci/core': fileURLToPath(new URL('packages/core/src/index.ts', import.meta.url)) },
  },
  test: {
    include: [
      'packages/core/src/redact.test.ts',
      'packages/core/src/*.unit.test.ts',
      'packages/core/src/journal/*.test.ts',
      'packages/core/src/registry/*.test.ts',
      'packages/core/src/cache/*.test.ts',
      'packages/core/src/deploy/*.test.ts',
      'packages/core/src/hash/paths*.test.ts',
      'plugins/semver/src/gate*.test.ts',
      'plugins/monitor/src/analysis*.test.ts',
    ],
    testNamePattern: /^(?!.*(kill -9|eight processes))/,
    // Stryker switches mutants at run time (ignoreStatic: no module-level mutants), so a test file
    // needs no fresh module graph: reusing it halves the import cost paid on every mutant run
    // (the whole set ran in 20 s instead of 45 s in one worker; every file passes this way).
    isolate: false,
    // paths.test.ts's property tests: 300 random cases instead of 2000 per mutant run (same kills:
    // docs/mutation-survivors.md).
    env: { MLCI_PROPERTY_RUNS: '300' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
