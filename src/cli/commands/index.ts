import type { CommandModule } from 'yargs';
import type { GlobalOptions } from '../main.js';
import { ABOUT } from './about.js';

// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
export type AnyCommand = CommandModule<GlobalOptions, any>;

/** A command of the CLI: what it is (for the command list) and how to load its module. One file per command. */
interface CommandEntry {
  readonly about: { readonly command: string; readonly describe: string };
  load(): Promise<AnyCommand>;
}

/** Every command of the CLI, in the order `--help` lists them. */
const COMMANDS: readonly CommandEntry[] = [
  { about: ABOUT.synth, load: async () => (await import('./synth.js')).synthCommand },
  { about: ABOUT.validate, load: async () => (await import('./validate.js')).validateCommand },
  { about: ABOUT.bootstrap, load: async () => (await import('./bootstrap.js')).bootstrapCommand },
  { about: ABOUT.diff, load: async () => (await import('./diff.js')).diffCommand },
  { about: ABOUT.publish, load: async () => (await import('./publish.js')).publishCommand },
  { about: ABOUT.workflows, load: async () => (await import('./workflows.js')).workflowsCommand },
  { about: ABOUT.app, load: async () => (await import('./app/index.js')).appCommand },
];

/**
 * The commands for a run with `argv`: the module of each command named in it
 * is loaded; every other command stands in by what it is (enough for the
 * command list of `--help` and for suggestions), so a run loads only the code
 * of the command it runs. `all` loads every module (to render every --help).
 */
export async function commandsFor(argv: readonly string[] | 'all'): Promise<AnyCommand[]> {
  const named = (entry: CommandEntry): boolean => argv === 'all' || argv.includes(entry.about.command);
  return Promise.all(
    COMMANDS.map((entry) => (named(entry) ? entry.load() : { ...entry.about, handler: () => undefined })),
  );
}
