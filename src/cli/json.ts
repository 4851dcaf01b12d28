import type { Argv } from 'yargs';

/**
 * The machine-readable output of `--json` (docs/: "JSON output"). Every
 * document is one JSON object on stdout, with `version` (this number, raised
 * only when a key changes meaning or goes away; new keys may appear) and
 * `command`, then the command's result, or `error` when it failed. Keys are
 * never left out: an absent fact is null. Exit codes stay as without --json.
 */
export const JSON_OUTPUT_VERSION = 1;

/** `error.kind` of a failed run's document. Usage errors (exit 2) print nothing to stdout. */
export type JsonErrorKind = 'spec' | 'validation' | 'refused' | 'tool' | 'internal';

/** One problem of a failed run: located in a spec file for `spec`, a message only for `validation`. */
export interface JsonProblem {
  /** Relative to the project, as written in the message. */
  readonly file: string | null;
  /** 1-based. */
  readonly line: number | null;
  /** 1-based. */
  readonly column: number | null;
  /** Dotted field path inside the file, e.g. `ports[0].port`. */
  readonly field: string | null;
  readonly message: string;
}

/** The `--json` option, the same on every command that has one. */
export function jsonOption<T>(y: Argv<T>, what: string): Argv<T & { json: boolean }> {
  return y.option('json', {
    type: 'boolean',
    default: false,
    describe: `Print ${what} as one JSON document on stdout (for scripts; see the JSON output docs)`,
  });
}

/** Where the CLI writes text: process.stdout or process.stderr, or a test's recorder. */
export interface TextSink {
  write(text: string): unknown;
}

/** Writes `{version, command, ...body}` to stdout. */
export function writeJson(command: string, body: Record<string, unknown>, stdout: TextSink = process.stdout): void {
  stdout.write(`${JSON.stringify({ version: JSON_OUTPUT_VERSION, command, ...body }, null, 2)}\n`);
}
