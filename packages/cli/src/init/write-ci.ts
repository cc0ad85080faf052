import { statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { ErrorCode, ExitCode, MlciError, writeFileAtomic } from '@mlci/core'
import type { CommandIo } from '../commands/index.js'
import type { ParsedArgs } from '../options.js'
import { GITHUB_WORKFLOW, GITHUB_WORKFLOW_PATH } from './ci-workflow.js'

/** `mlci init --ci github`: write the workflow (never over an existing one without --force). */
export async function writeCiWorkflow(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.flags.ci !== 'github') {
    throw new MlciError(ErrorCode.USAGE, `--ci ${JSON.stringify(args.flags.ci)} is not supported.`, { hint: 'Use `mlci init --ci github` (GitHub Actions).' })
  }
  const dir = resolve(String(args.flags.cwd ?? process.cwd()))
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new MlciError(ErrorCode.USAGE, `${dir} is not a folder.`, { hint: 'Pass the project folder with --cwd <dir>.' })
  }
  const target = join(dir, GITHUB_WORKFLOW_PATH)
  const shown = relative(process.cwd(), target) || GITHUB_WORKFLOW_PATH
  const force = args.flags.force !== undefined && args.flags.force !== false
  await mkdir(dirname(target), { recursive: true })
  try {
    await (force ? writeFileAtomic(target, GITHUB_WORKFLOW) : writeFile(target, GITHUB_WORKFLOW, { flag: 'wx' }))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MlciError(ErrorCode.USAGE, `${shown} already exists; mlci init does not overwrite it.`, { hint: 'Run `mlci init --ci github --force` to replace it.' })
    }
    throw error
  }
  io.stdout.write([
    `wrote ${shown}`,
    'Add these repository secrets (Settings → Secrets and variables → Actions):',
    '  MLCI_REGISTRY_URL        postgres://USER:PASSWORD@HOST:5432/DB',
    '  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   for the bucket',
    '  MLCI_CACHE_KEY           a long random string (signs cache entries)',
    'and set MLCI_STORE_URL / AWS_REGION in the workflow to your bucket. See docs/ci.md.',
    '',
  ].join('\n'))
  return ExitCode.OK
}
