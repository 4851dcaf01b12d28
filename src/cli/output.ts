import { join, relative } from 'node:path';
import { OWNERSHIP_FILE } from '../output/ownership.js';
import type { SynthResult } from '../pipeline/pipeline.js';
import { SpecError, ValidationError } from '../spec/errors.js';
import { OwnershipError } from '../write/claim.js';
import { ChangeRefusedError } from '../guard/check.js';
import { noteLines, refusalLines } from '../guard/format.js';

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
  if (err instanceof OwnershipError) {
    stderr.write(`gitops-synth: ${err.message}\n`);
    return 2;
  }
  if (err instanceof ChangeRefusedError) {
    stderr.write(`gitops-synth: refused, compared with ${err.report.origin}; nothing was written or pushed.\n`);
    for (const line of refusalLines(err.report)) stderr.write(`  ${line}\n`);
    return 1;
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
