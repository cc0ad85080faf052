import type { Command } from './index.js'
import { WatchSession } from '../watch/session.js'

const command: Command = {
  usage: `mlci watch [--phases p,q] [--debounce ms] [--deploy]

Watches every phase's declared inputs and the config file (.mlci/, .git, node_modules, Python
caches and every declared output are ignored, so training writing its model never retriggers).
A change re-runs the phases that read it plus their downstream phases; the phase cache skips
what did not really change. A change to the inputs of the running phase cancels it (its process
group is killed) and restarts the cycle. A config change reloads config and plugins; a broken
config is reported and watched until it loads.

Default phases: verify, test, validate, train, evaluate, gate. version is left out (no throwaway registry
versions; listed in --phases it records -dev.N prereleases). deploy and monitor only with --deploy
or watch.deploy in the config. Config: watch: { phases, debounce (ms, default 100), deploy, ignore }.
Each cycle holds the repo lock for its own run only (a \`mlci build\` can run between cycles; a
cycle waits for one that holds it).

Keys on a terminal: r rerun · f rerun ignoring the cache · q quit (exit 0) · Ctrl-C (exit 130).`,
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
