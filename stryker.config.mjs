// `npm run mutate`: StrykerJS over the core modules where a wrong line loses data or lets a
// failure through. Each mutant runs only the tests that covered it (perTest coverage), in the
// unit-test config vitest.mutate.config.ts. Not part of .ci/run (see README "Tests").
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  mutate: [
    'packages/core/src/lock.ts',
    'packages/core/src/lock-file.ts',
    'packages/core/src/atomic.ts',
    // json-file.ts (a JSON error-position finder for messages) is left out: no state rides on it.
    'packages/core/src/registry/{registry,file-backend,write-lock,documents}.ts',
    'packages/core/src/journal/journal.ts',
    'packages/core/src/redact.ts',
    'packages/core/src/hash/paths.ts',
    'packages/core/src/cache/outputs.ts',
    'packages/core/src/deploy/health.ts',
    'plugins/monitor/src/analysis.ts',
    'packages/core/src/cache/phase-cache.ts',
    'plugins/semver/src/gate.ts',
  ],
  // Static mutants (module-level constants) would need the whole test set per mutant.
  ignoreStatic: true,
  // dist stays: crash tests spawn processes that import the built modules (they see no mutant).
  ignorePatterns: ['.tmp', 'bench/.tmp', '**/.mlci', '**/out', 'reports', '.stryker-tmp'],
  concurrency: 2,
  // Mutants that turn a wait loop endless are counted as killed on timeout; a short budget
  // keeps each from costing 10 s.
  timeoutMS: 3_000,
  // A rerun only tests mutants whose code or covering tests changed since the last report.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
}
