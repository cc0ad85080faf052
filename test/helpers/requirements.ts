import { describe, it } from 'vitest'

/** Something outside Node a test file needs (an engine, a browser), and how to get it. */
export interface Requirement {
  name: string
  /** Why it is missing, or undefined when it is there. */
  missing(): string | undefined
  howTo: string
}

/**
 * `describe` for tests that need a real service. A missing service is a failing test that says
 * how to get it — never a skip, so a machine without it can't pass by running nothing.
 */
export function describeWith(requirement: Requirement, name: string, body: () => void): void {
  const why = requirement.missing()
  if (!why) {
    describe(name, body)
    return
  }
  describe(name, () => {
    it(`needs ${requirement.name}`, () => {
      throw new Error(`${requirement.name} is missing (${why}). ${requirement.howTo}`)
    })
  })
}
