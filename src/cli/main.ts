import { resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { type AnyCommand, commandsFor } from './commands/index.js';
import { exitStatus } from './help.js';
import { reportError, UsageFailure } from './output.js';
import { packageVersion } from './version.js';

export interface GlobalOptions {
  /** Absolute path of the project folder (apps/, environments/, dist/). */
  project: string;
  /** --progress or --no-progress; undefined: on a terminal, unless CI is set. */
  progress?: boolean;
}

export interface CliOptions {
  /** Width --help is wrapped at. @default the terminal's width, at most 110 (110 when stdout is no terminal) */
  readonly columns?: number;
}

/** What the parsed command line says about reporting a failure; filled in before the handler runs. */
export interface RunState {
  /** The command as typed, e.g. `app list`. */
  command: string;
  /** --json was given: a failure is a JSON document on stdout too. */
  json: boolean;
}

/**
 * The command-line parser of gitops-synth; `run` is filled in once the command line is valid. --help and
 * --version return from main like every other run (its code is the exit status) instead of ending the
 * process from inside yargs.
 */
export function cliParser(run: RunState, commands: AnyCommand[], options: CliOptions = {}): Argv<GlobalOptions> {
  const columns = options.columns ?? Math.min(110, process.stdout.columns ?? 110);
  return yargs()
    .scriptName('gitops-synth')
    .usage(
      '$0 <command> [options]\n\nTyped GitOps config: apps/<service>.yaml × environments/<env>.yaml → ' +
        'dist/<env>/<service>/ plus Argo CD objects.',
    )
    .option('project', {
      type: 'string',
      default: '.',
      describe: 'Project folder holding apps/, environments/ and dist/',
      coerce: (p: string) => resolve(p),
      global: true,
    })
    .option('progress', {
      type: 'boolean',
      describe: 'Show the stage and count of a run longer than two seconds on stderr',
      defaultDescription: 'on a terminal, unless CI is set',
      global: true,
    })
    .command(commands)
    .demandCommand(1, 'Name a command; see --help')
    .strict()
    .recommendCommands()
    .middleware((args) => {
      run.command = args._.map(String).join(' ');
      run.json = args.json === true;
    })
    .fail((msg, err) => {
      throw err ?? new UsageFailure(msg);
    })
    .exitProcess(false)
    .help()
    .alias('h', 'help')
    .version('version', 'Show the version of gitops-synth', packageVersion())
    .alias('V', 'version')
    .epilogue(
      `${exitStatus({ 0: 'done', 1: 'the project failed (spec problems, invalid output, a refusal)' })} ` +
        "diff's are its own: 0 equal, 1 different, 2 any error. Each command's --help says more.",
    )
    .wrap(columns) as unknown as Argv<GlobalOptions>;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], options: CliOptions = {}): Promise<number> {
  const run: RunState = { command: '', json: false };
  try {
    await cliParser(run, await commandsFor(argv), options).parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, run.json ? { json: { command: run.command } } : {});
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href) {
  main(hideBin(process.argv)).then((code) => {
    process.exitCode = code;
  });
}
