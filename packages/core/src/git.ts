
/** Where the model's code came from: the commit and whether the working tree had changes. */
export interface GitState {
  commit: string
  dirty: boolean
}

async function git(cwd: string, args: string[], signal?: AbortSignal): Promise<string | undefined> {
  // Loaded on use: most commands never ask git anything.
  const { execFile } = await import('node:child_process')
  return new Promise((resolve) => {
    // GIT_OPTIONAL_LOCKS=0: `git status` must not take index.lock (concurrent mlci runs, IDEs).
    execFile('git', args, { cwd, signal, timeout: 10_000, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' }, maxBuffer: 16 << 20 },
      (error, stdout) => resolve(error ? undefined : stdout))
  })
}

/**
 * The git commit of `cwd` and whether the project folder has uncommitted or untracked
 * (non-ignored) changes, mlci's own state excluded. Undefined outside a git repository, in a
 * repository without commits, or without git installed: lineage then simply has no commit.
 */
export async function gitState(cwd: string, signal?: AbortSignal): Promise<GitState | undefined> {
  const head = (await git(cwd, ['rev-parse', '--verify', '-q', 'HEAD'], signal))?.trim()
  if (!head || !/^[0-9a-f]{40,64}$/.test(head)) return undefined
  const status = await git(cwd, ['status', '--porcelain', '--untracked-files=normal', '--', '.', ':(exclude).mlci'], signal)
  return { commit: head, dirty: status === undefined ? true : status.trim() !== '' }
}
