import { resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { COMMANDS } from './commands/index.js';
import { reportError } from './output.js';

export interface GlobalOptions {
  /** Absolute path of the project folder (apps/, environments/, dist/). */
  project: string;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  try {
    await yargs(argv)
      .scriptName('gitops-synth')
      .usage(
        '$0 <command> [options]\n\nTyped GitOps config: apps/<service>.yaml × environments/<env>.yaml → dist/<env>/<service>/ plus Argo CD objects.',
      )
      .option('project', {
        type: 'string',
        default: '.',
        describe: 'Project folder holding apps/, environments/ and dist/',
        coerce: (p: string) => resolve(p),
        global: true,
      })
      .command(COMMANDS)
      .demandCommand(1, 'Name a command; see --help')
      .strict()
      .recommendCommands()
      .fail((msg, err) => {
        throw err ?? new UsageFailure(msg);
      })
      .help()
      .alias('h', 'help')
      .version(false)
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .parseAsync();
  } catch (err) {
    if (err instanceof UsageFailure) {
      process.stderr.write(`gitops-synth: ${err.message}\nRun gitops-synth --help for usage.\n`);
      code = 1;
    } else code = reportError(err);
  }
  return code;
}

class UsageFailure extends Error {}

if (process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href) {
  main(hideBin(process.argv)).then((code) => {
    process.exitCode = code;
  });
}
