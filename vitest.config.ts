import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'test/**/*.test.ts', 'fixtures/mlci-plugin-*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Builds stale dist and provisions services before any test (test/setup/global-setup.ts).
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Docker- and Python-backed tests share one engine and one CPU pair: keep files from
    // starving each other.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
})
