import type { Command } from './index.js'
import { WatchSession } from '../watch/session.js'

const command: Command = {
  summary: 'Re-run the affected phases on every change: tests on a test edit, train and downstream on a training edit',
  usage: 'mlci watch [--phases p,q] [--debounce ms] [--deploy]',
  flags: ['phases', 'debounce', 'deploy'],
  async run(args, io) {
    const session = new WatchSession({
      cwd: args.flags.cwd as string | undefined,
      configFile: args.flags.config as string | undefined,
      flags: { phases: args.flags.phases, debounce: args.flags.debounce, deploy: args.flags.deploy },
      verbose: Boolean(args.flags.verbose),
      io,
    })
    return session.run()
  },
}
export default command
