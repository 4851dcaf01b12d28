import type { Argv } from 'yargs';

/** An example of a command's --help: the command line (with $0 for gitops-synth) and what it does. */
export type HelpExample = readonly [command: string, description: string];

/**
 * Adds examples as kubectl shows them: the description as a `#` line, the
 * command on a line of its own, so that no command is ever wrapped in the
 * middle (yargs wraps a two-column example at half the width). Commands are
 * kept within 76 characters, the width left at 80 columns (test/help.test.ts).
 */
export function examples<T>(y: Argv<T>, list: readonly HelpExample[]): Argv<T> {
  list.forEach(([command, description], i) => {
    if (i > 0) y.example('', '');
    y.example(`# ${description}`, '').example(command, '');
  });
  return y;
}

/** The "Exit status" paragraph of a command's --help, one sentence per code. */
export function exitStatus(codes: { readonly 0: string; readonly 1: string; readonly 2?: string }): string {
  return `Exit status: 0 ${codes[0]}; 1 ${codes[1]}; 2 ${codes[2] ?? USAGE_OR_INTERNAL}.`;
}

const USAGE_OR_INTERNAL = 'the command could not run: a usage error (the command line is wrong) or an internal error';

/** Exit 1 of the commands that render. */
export const SPEC_OR_OUTPUT_PROBLEMS =
  'spec problems (each with file, line and field) or output that failed validation (nothing was written)';
