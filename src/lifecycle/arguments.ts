import type { z } from 'zod';
import { ArgumentError } from './errors.js';

/**
 * Command-line values checked with the very zod field types the specs use,
 * so a bad `--port` gets the message a bad `port:` gets. Collects every
 * problem of a command line before failing.
 */
export class ArgumentProblems {
  private readonly lines: string[] = [];

  /** The parsed value, or undefined after recording why `raw` (given to `option`) is not acceptable. */
  check<T>(schema: z.ZodType<T>, value: unknown, option: string, raw: string = String(value)): T | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const messages = [
      ...new Set(
        result.error.issues.map((i) =>
          i.message && !i.message.startsWith('Invalid')
            ? i.message
            : `expected ${'expected' in i ? String(i.expected) : 'a valid value'}`,
        ),
      ),
    ];
    this.add(option, raw, messages.join('; '));
    return undefined;
  }

  add(option: string, raw: string | undefined, message: string): void {
    this.lines.push(raw === undefined ? `${option}: ${message}` : `${option} ${JSON.stringify(raw)}: ${message}`);
  }

  get length(): number {
    return this.lines.length;
  }

  /** Throws an ArgumentError listing every problem, when there is any. */
  throwIfAny(): void {
    if (!this.lines.length) return;
    throw new ArgumentError(
      `invalid argument${this.lines.length === 1 ? '' : 's'}; nothing was changed:\n` +
        this.lines.map((l) => `  ${l}`).join('\n'),
    );
  }
}

/** A whole number as typed; anything else is passed on as text so the field's own type message applies. */
export function integerArgument(raw: string): number | string {
  return /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : raw;
}

/** Splits `KEY=VALUE`; undefined (after recording the problem) when there is no `=`. */
export function splitAssignment(
  raw: string,
  option: string,
  form: string,
  problems: ArgumentProblems,
): [string, string] | undefined {
  const eq = raw.indexOf('=');
  if (eq <= 0) {
    problems.add(option, raw, `expected ${form}`);
    return undefined;
  }
  return [raw.slice(0, eq), raw.slice(eq + 1)];
}
