import type { RunContext } from '@mlci/core'

/** An annotated tag `<prefix><version>` on the model's commit. Never pushed; problems are warnings. */
export async function tagVersion(ctx: RunContext, version: string, commit: string | undefined, prefix: string): Promise<void> {
  const name = `${prefix}${version.split('+')[0]}`
  if (!commit) {
    ctx.log.warn(`Not tagging ${name}: the project is not in a git repository with commits.`)
    return
  }
  try {
    const exists = await ctx.exec(['git', 'rev-parse', '-q', '--verify', `refs/tags/${name}`], { reject: false, quiet: true })
    if (exists.exitCode === 0) {
      ctx.log.warn(`Tag ${name} already exists; left as it is.`)
      return
    }
    // A machine without a git identity (CI) still gets its tag; a configured identity wins.
    const identity = await ctx.exec(['git', 'config', 'user.email'], { reject: false, quiet: true })
    const env = identity.exitCode === 0 ? {} : { GIT_COMMITTER_NAME: 'mlci', GIT_COMMITTER_EMAIL: 'mlci@localhost' }
    const tagged = await ctx.exec(['git', 'tag', '-a', name, '-m', `mlci model ${version}`, commit], { reject: false, quiet: true, env })
    if (tagged.exitCode === 0) ctx.log.info(`Tagged ${commit.slice(0, 7)} as ${name} (not pushed).`)
    else ctx.log.warn(`Could not create tag ${name}: ${tagged.stderr.trim().split('\n')[0]}`)
  } catch (error) {
    ctx.log.warn(`Could not create tag ${name}: ${(error as Error).message}`)
  }
}
