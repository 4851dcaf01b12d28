import { join, relative } from 'node:path';
import { ArgumentError, LifecycleError } from '../lifecycle/errors.js';
import type { SynthResult } from '../pipeline/pipeline.js';
import { ChangeRefusedError } from '../guard/refused.js';
import { noteLines, refusalLines } from '../guard/format.js';
import { PublishError, WorkDirRefused } from '../publish/errors.js';

import { formatProblem, SpecError, ValidationError } from '../spec/errors.js';
import { type JsonErrorKind, type JsonProblem, type TextSink, writeJson } from './json.js';
import { ToolError } from '../validate/tool-error.js';
import { OwnershipError } from '../write/ownership-error.js';
import { OWNERSHIP_FILE } from '../output/ownership.js';

/**
 * Exit codes of every command but `diff` (whose 1 means "different"): 0 done,
 * 1 the project failed (spec problems, invalid output, a stale check, a
 * refusal), 2 the command could not run (a usage error or an internal error).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 2;

/** Where and how a failure is reported. */
export interface ReportOptions {
  readonly stderr?: TextSink;
  /** Set with --json: the failure is also written to stdout as a JSON document of this command. */
  readonly json?: { readonly command: string; readonly stdout?: TextSink };
}

/**
 * How every command reports a failure: on stderr for people (spec problems
 * and validation failures one per line with file, line and field; anything
 * unexpected as an internal error with its stack), and with --json also on
 * stdout as `{"version": 1, "command", "error": {kind, message, problems}}`.
 * Returns the process exit code.
 */
export function reportError(err: unknown, options: ReportOptions = {}): number {
  const stderr = options.stderr ?? process.stderr;
  const failure = describeFailure(err);
  if (failure.text) stderr.write(failure.text);
  if (options.json && failure.kind && failure.kind !== 'usage')
    writeJson(
      options.json.command,
      { error: { kind: failure.kind, message: failure.message, problems: failure.problems } },
      options.json.stdout,
    );
  return failure.exitCode;
}

interface Failure {
  readonly exitCode: number;
  /** For stderr, complete lines; empty when there is nothing more to say. */
  readonly text: string;
  /** For --json; undefined when the outcome was already reported (diff finding differences). */
  readonly kind?: JsonErrorKind | 'usage';
  readonly message: string;
  readonly problems: readonly JsonProblem[];
}

function describeFailure(err: unknown): Failure {
  if (err instanceof ExitWith) return { ...describeFailure(err.error), exitCode: err.exitCode };
  if (err instanceof SpecError) {
    const n = err.problems.length;
    const message = `${n} problem${n === 1 ? '' : 's'} in the specs; nothing was written.`;
    const lines = err.problems.map(formatProblem);
    return {
      exitCode: EXIT_FAILED,
      text: `gitops-synth: ${message}\n${lines.map((l) => `  ${l}\n`).join('')}`,
      kind: 'spec',
      message,
      problems: err.problems.map((p) => ({
        file: p.file,
        line: p.line ?? null,
        column: p.column ?? null,
        field: p.field || null,
        message: p.message,
      })),
    };
  }
  if (err instanceof ValidationError) {
    const message = 'the rendered output failed validation; nothing was written.';
    return {
      exitCode: EXIT_FAILED,
      text: `gitops-synth: ${message}\n${err.failures.map((l) => `  ${l}\n`).join('')}`,
      kind: 'validation',
      message,
      problems: err.failures.map((m) => ({ file: null, line: null, column: null, field: null, message: m })),
    };
  }
  if (err instanceof ChangeRefusedError) {
    const message = `refused, compared with ${err.report.origin}; nothing was written or pushed.`;
    const { removals, unmatchedAllowances, refused } = err.report;
    const none = { file: null, line: null, column: null, field: null };
    return {
      exitCode: EXIT_FAILED,
      text: `gitops-synth: ${message}\n${refusalLines(err.report)
        .map((l) => `  ${l}\n`)
        .join('')}`,
      kind: 'refused',
      message,
      problems: [
        ...removals.flatMap((r) =>
          r.items.map((item) => ({
            ...none,
            message: `${r.reason}: ${item.path}: ${item.what}; confirm with --allow-removal ${r.allowWith}`,
          })),
        ),
        ...unmatchedAllowances.map((entry) => ({
          ...none,
          message: `--allow-removal ${entry}: names nothing this render removes`,
        })),
        ...refused.map((r) => ({
          file: r.at.file,
          line: r.at.line ?? null,
          column: r.at.column ?? null,
          field: r.at.field || null,
          message: `${r.at.message}; refused by the API server: ${r.why}; to make this change: ${r.how}`,
        })),
      ],
    };
  }
  // A folder it may not write: it could not run, and changed nothing (write/claim.ts).
  if (err instanceof OwnershipError) return refused(err.message, EXIT_USAGE);
  // A tool it needs (kubectl) cannot run: the command could not run, as for a usage error.
  if (err instanceof ToolError) {
    const message = `${err.message}; nothing was written.`;
    return { exitCode: EXIT_USAGE, text: `gitops-synth: ${message}\n`, kind: 'tool', message, problems: [] };
  }
  // A --work-dir that is not a work clone of ours is a wrong argument too.
  if (err instanceof UsageError || err instanceof ArgumentError || err instanceof WorkDirRefused)
    return usage(err.message, err instanceof UsageFailure ? 'Run gitops-synth --help for usage.' : undefined);
  if (err instanceof LifecycleError || err instanceof PublishError) return refused(err.message, EXIT_FAILED);
  if (err instanceof CommandFailure)
    return err.message
      ? refused(err.message, err.exitCode)
      : { exitCode: err.exitCode, text: '', message: '', problems: [] };
  const message = err instanceof Error ? err.message : String(err);
  return {
    exitCode: EXIT_INTERNAL,
    text: `gitops-synth: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    kind: 'internal',
    message: `internal error: ${message}`,
    problems: [],
  };
}

function usage(message: string, hint: string | undefined): Failure {
  return {
    exitCode: EXIT_USAGE,
    text: `gitops-synth: ${message}\n${hint ? `${hint}\n` : ''}`,
    kind: 'usage',
    message,
    problems: [],
  };
}

function refused(message: string, exitCode: number): Failure {
  return { exitCode, text: `gitops-synth: ${message}\n`, kind: 'refused', message, problems: [] };
}

/** A command-line argument that is wrong; the message says what was expected. Exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What yargs rejects (unknown command or option, a missing argument); the message is yargs'. Exit 2. */
export class UsageFailure extends UsageError {}

/**
 * A command ends with this exit code; the message (if any) is printed as it
 * is. For outcomes that are not bugs: a refused push, a stale `--check`, or
 * `diff` finding differences (exit 1 with nothing more to say: an empty
 * message means the command already reported its outcome).
 */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** `error` reported as usual, with another exit code (diff: every error is 2). */
export class ExitWith extends Error {
  constructor(
    readonly error: unknown,
    readonly exitCode: number,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'ExitWith';
  }
}

/** The lines synth prints, for commands that render after their change: what was rendered, and the notes on it. */
export function renderedLine(result: SynthResult): string {
  return (
    renderedSummary(result) +
    noteLines(result.changes)
      .map((l) => `${l}\n`)
      .join('')
  );
}

function renderedSummary(result: SynthResult): string {
  const out = relative(process.cwd(), result.outDir) || '.';
  const where = result.unchanged ? `${out} already held them and was left untouched` : `written to ${out}`;
  const lines = [
    `gitops-synth: rendered ${plural(result.services, 'service folder')} for ${result.environments.join(', ')}: ` +
      `${result.objects} objects in ${result.files} files, validated, ${where}`,
  ];
  if (result.recognised)
    lines.push(
      `gitops-synth: ${out} had no ${OWNERSHIP_FILE} yet; every file in it was gitops-synth's, so it now carries one`,
    );
  if (result.preserved.length)
    lines.push(
      `gitops-synth: kept ${plural(result.preserved.length, 'Image Updater file')} (${result.preserved.join(', ')})`,
    );
  if (result.foreign.length)
    lines.push(
      `gitops-synth: kept ${plural(result.foreign.length, 'file')} gitops-synth did not write, ` +
        `as ${result.foreign.length === 1 ? 'it is' : 'they are'}: ` +
        result.foreign.map((f) => join(out, f)).join(', '),
    );
  return `${lines.join('\n')}\n`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The exit codes most commands share, for --help epilogues. */
export const EXIT_CODES_TEXT =
  'Exit status: 0 done; 1 the project failed (spec problems with file, line and field, or output that failed ' +
  'validation; nothing was written); 2 the command could not run (a usage error, or an internal error).';
