import { relative } from 'node:path';
import type { SynthResult } from '../pipeline/pipeline.js';
import { SpecError, ValidationError } from '../spec/errors.js';
import { ChangeRefusedError } from '../guard/check.js';
import { noteLines, refusalLines } from '../guard/format.js';
import { ToolError } from '../validate/tools.js';

/**
 * How every command reports a failure: spec problems and validation failures
 * one per line with file, line and field; anything else as an internal error.
 * Returns the process exit code.
 */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof SpecError) {
    stderr.write(
      `gitops-synth: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} in the specs; nothing was written.\n`,
    );
    for (const line of err.message.split('\n')) stderr.write(`  ${line}\n`);
    return 1;
  }
  if (err instanceof ValidationError) {
    stderr.write(`gitops-synth: the rendered output failed validation; nothing was written.\n`);
    for (const line of err.failures) stderr.write(`  ${line}\n`);
    return 1;
  }
  if (err instanceof ChangeRefusedError) {
    stderr.write(`gitops-synth: refused, compared with ${err.report.origin}; nothing was written or pushed.\n`);
    for (const line of refusalLines(err.report)) stderr.write(`  ${line}\n`);
    return 1;
  }
  if (err instanceof ToolError) {
    stderr.write(`gitops-synth: ${err.message}; nothing was written.\n`);
    return 2;
  }
  if (err instanceof UsageError) {
    stderr.write(`gitops-synth: ${err.message}\n`);
    return 1;
  }
  if (err instanceof CommandFailure) {
    if (err.message) stderr.write(`gitops-synth: ${err.message}\n`);
    return err.exitCode;
  }
  stderr.write(`gitops-synth: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 2;
}

/** A command-line argument that is wrong; the message says what was expected. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A command ends with this exit code; the message (if any) is printed as it
 * is. For outcomes that are not bugs: a refused push, or `diff` finding
 * differences (exit 1 with nothing more to say).
 */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'CommandFailure';
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
  return `gitops-synth: rendered ${result.services} service folder${result.services === 1 ? '' : 's'} for ${result.environments.join(', ')}: ${result.objects} objects in ${result.files} files, validated, ${where}\n`;
}
