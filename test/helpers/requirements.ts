import { beforeEach, describe } from 'vitest'

/** Something outside Node a test file needs (an engine, a browser), and how to get it. */
export interface Requirement {
  name: string
  /** Why it is missing, or undefined when it is there. */
  missing(): string | undefined
  howTo: string
}

/**
 * `describe` for tests that need a real service. A missing service fails every test of the block,
 * each on its own line saying how to get it — never a skip, so a machine without it can't pass
 * by running nothing, and the count of failures is the count of tests that did not run.
 */
export function describeWith(requirement: Requirement, name: string, body: () => void): void {
  const why = requirement.missing()
  describe(name, () => {
    if (why) {
      beforeEach(() => {
        throw new Error(`${requirement.name} is missing (${why}). ${requirement.howTo}`)
      })
    }
    body()
  })
}
