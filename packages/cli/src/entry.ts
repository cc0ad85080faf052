import { splitCommand } from './command-line.js'
import { quickAnswer } from './help.js'

/**
 * The bundle's entry (dist/bundle/main.js): `mlci`, `--help` and `--version` are answered here
 * without loading @mlci/core (~0.4 MB of modules); every command goes through main.ts.
 */
export async function main(argv: string[]): Promise<void> {
  const quick = quickAnswer(splitCommand(argv).name)
  if (quick) {
    process.stdout.write(quick.text)
    process.exitCode = quick.code
    return
  }
  const full = await import('./main.js')
  return full.main(argv)
}
