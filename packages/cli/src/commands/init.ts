import { statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { ErrorCode, ExitCode, MlciError, writeFileAtomic } from '@mlci/core'
import { detectProject } from '../init/detect.js'
import { existingConfig } from '../init/existing-config.js'
import { renderConfig } from '../init/render-config.js'
import { initSummary } from '../init/summary.js'
import { writeCiWorkflow } from '../init/write-ci.js'
import { colorsEnabled, palette } from '../ui/color.js'
import type { Command } from './index.js'

const FILE = 'mlci.config.ts'

const command: Command = {
  usage: 'mlci init [--force] [--ci github]',
  flags: ['force', 'ci'],
  flagHelp: { force: `Replace an existing config (${FILE}, or the one mlci would load) or CI workflow` },
  async run(args, io) {
    if (args.flags.ci !== undefined) return writeCiWorkflow(args, io)
    if (args.flags.config) {
      throw new MlciError(ErrorCode.USAGE, `mlci init always writes ${FILE} in the project folder; --config is not used here.`, { hint: 'Pick the folder with --cwd <dir>.' })
    }
    const dir = resolve(String(args.flags.cwd ?? process.cwd()))
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new MlciError(ErrorCode.USAGE, `${dir} is not a folder.`, { hint: 'Pass the project folder with --cwd <dir>.' })
    }
    // `--force` alone arrives as ['*'] (the build flag it shares takes an optional phase list).
    const force = args.flags.force !== undefined && args.flags.force !== false
    const existing = existingConfig(dir)
    if (existing && !force) throw refuse(existing, dir)
    const detection = detectProject(dir)
    const config = renderConfig(detection)
    const target = join(dir, FILE)
    try {
      // 'wx': a config that appeared since the check above is still never overwritten.
      await (force ? writeFileAtomic(target, config.text) : writeFile(target, config.text, { flag: 'wx' }))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(FILE, dir)
      throw error
    }
    const c = palette(colorsEnabled(io.stdout, io.env))
    io.stdout.write(initSummary(detection, config, relative(process.cwd(), target) || FILE, c, dir))
    // Forced over another config file: say which one would still be loaded or is now unused.
    if (existing && existing !== FILE) {
      io.stderr.write(existing === 'package.json#mlci'
        ? `${c.yellow('warning:')} package.json has an "mlci" key, which mlci loads before ${FILE}: remove the key to use the new config.\n`
        : `${c.yellow('warning:')} ${existing} is no longer used (${FILE} is found first): delete it when the new config works.\n`)
    }
    return ExitCode.OK
  },
}
export default command

function refuse(file: string, dir: string): MlciError {
  const shown = relative(process.cwd(), join(dir, file.replace(/#mlci$/, ''))) || file
  return new MlciError(ErrorCode.USAGE, `${shown}${file.endsWith('#mlci') ? ' (its "mlci" key)' : ''} already holds an mlci config; mlci init does not overwrite it.`, {
    hint: `Run \`mlci init --force\` to write a new ${FILE} anyway${file === FILE ? ' (it replaces this one)' : ''}.`,
  })
}
