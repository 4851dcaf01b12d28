import type { z } from 'zod';
import type { SpecProblem } from './errors.js';
import type { SourceFile } from './source.js';
import { closest } from './suggest.js';

/**
 * Turns zod's issues into located, readable problems: unknown keys list the
 * keys that are allowed (with a "did you mean" when one is close), type errors
 * say what was expected and what was found.
 */
export function validateWith<T>(
  schema: z.ZodType<T>,
  source: SourceFile,
  data: unknown,
  basePath: (string | number)[] = [],
): { value?: T; problems: SpecProblem[] } {
  const { value, issues } = checkSchema(schema, data);
  // Past a few dozen, more lines of one file help nobody, and locating each costs a scan of its mapping.
  const shown = issues.slice(0, MAX_PROBLEMS_PER_FILE);
  const problems = shown.map((i) => source.problem([...basePath, ...i.path], i.message, i.atKey));
  if (issues.length > shown.length) problems.push(moreProblems(source.file, issues.length - shown.length));
  return { value, problems };
}

/** The most problems reported for one file; the rest are counted in one line. */
export const MAX_PROBLEMS_PER_FILE = 50;

/** The line that stands for the `count` problems of `file` not shown. */
export function moreProblems(file: string, count: number): SpecProblem {
  return {
    file,
    field: '',
    summary: true,
    message:
      `and ${count} more problem${count === 1 ? '' : 's'} in this file, not shown; expected the ones above ` +
      `fixed first`,
  };
}

/** A readable schema problem at a field path, to be located by the caller. */
export interface FieldIssue {
  readonly path: (string | number)[];
  readonly message: string;
  /** Point at the key rather than its value (unknown keys). */
  readonly atKey: boolean;
}

/**
 * Checks `data` against `schema`; for data merged from several places, whose caller knows where each field was written.
 */
export function checkSchema<T>(schema: z.ZodType<T>, data: unknown): { value?: T; issues: FieldIssue[] } {
  const result = schema.safeParse(data, { reportInput: true });
  const issues = result.success ? [] : result.error.issues.flatMap((issue) => toIssues(schema, issue));
  // zod leaves a record's `__proto__` key out unchecked (assigning it would set the prototype); it is a valid
  // environment variable name, so it is checked and kept here.
  const protoIssues: z.core.$ZodIssue[] = [];
  restoreProtoKeys(schema, data, result.success ? result.data : undefined, [], protoIssues);
  issues.push(...protoIssues.flatMap((issue) => toIssues(schema, issue)));
  if (result.success && issues.length === 0) return { value: result.data, issues };
  return { issues };
}

/** The key zod's records skip: a plain object's prototype setter. */
const PROTO_KEY = '__proto__';

/**
 * Walks `input` along `schema` and, for every record that holds an own
 * `__proto__` key, checks its key and value with the record's schemas and
 * defines it on the matching record of `output` (when the parse succeeded)
 * as an own property, as YAML gave it. Issues go to `issues` with full paths.
 */
function restoreProtoKeys(
  schema: z.ZodType,
  input: unknown,
  output: unknown,
  path: (string | number)[],
  issues: z.core.$ZodIssue[],
): void {
  if (typeof input !== 'object' || input === null) return;
  const d = defOf(schema);
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      restoreProtoKeys(d.innerType!, input, output, path, issues);
      return;
    case 'pipe':
      restoreProtoKeys(d.in!, input, output, path, issues);
      return;
    case 'object':
      for (const [key, field] of Object.entries(d.shape!))
        if (Object.hasOwn(input, key))
          restoreProtoKeys(field, (input as Record<string, unknown>)[key], child(output, key), [...path, key], issues);
      return;
    case 'array':
      if (Array.isArray(input))
        input.forEach((item, i) => restoreProtoKeys(d.element!, item, child(output, i), [...path, i], issues));
      return;
    case 'record':
      for (const key of Object.keys(input)) {
        const value = (input as Record<string, unknown>)[key];
        if (key !== PROTO_KEY) {
          restoreProtoKeys(d.valueType!, value, child(output, key), [...path, key], issues);
          continue;
        }
        const keyCheck = d.keyType!.safeParse(key, { reportInput: true });
        if (!keyCheck.success) {
          issues.push({
            code: 'invalid_key',
            origin: 'record',
            issues: keyCheck.error.issues,
            input: key,
            path: [...path, key],
            message: '',
          } as unknown as z.core.$ZodIssue);
          continue;
        }
        const valueCheck = d.valueType!.safeParse(value, { reportInput: true });
        if (!valueCheck.success) {
          for (const i of valueCheck.error.issues) issues.push({ ...i, path: [...path, key, ...i.path] });
          continue;
        }
        if (typeof output === 'object' && output !== null)
          Object.defineProperty(output, PROTO_KEY, {
            value: valueCheck.data,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return;
    default:
      return;
  }
}

function child(output: unknown, key: string | number): unknown {
  return typeof output === 'object' && output !== null ? (output as Record<string | number, unknown>)[key] : undefined;
}

function toIssues(schema: z.ZodType, issue: z.core.$ZodIssue): FieldIssue[] {
  const path = issue.path as (string | number)[];
  const problem = (at: (string | number)[], message: string, atKey = false): FieldIssue => ({
    path: at,
    message,
    atKey,
  });
  // A value written where a secret reference belongs may be the secret itself: never echo it.
  const withInput = (message: string, input: unknown): string =>
    withFound(message, path.includes('secretEnv') && typeof input === 'string' ? 'a string' : describe(input));
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path);
      return issue.keys.map((key, i) => {
        // Only the problems shown get a suggestion: past them, they are only counted.
        const suggestion = i < MAX_PROBLEMS_PER_FILE ? closest(key, allowed) : undefined;
        const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
        const list = allowed.length ? `; expected one of: ${allowed.join(', ')}` : '';
        return problem([...path, key], `unknown key "${key}"${hint}${list}`, true);
      });
    }
    case 'invalid_type': {
      const input = (issue as { input?: unknown }).input;
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (input === undefined) return [problem(path, `is required; expected ${expected}`)];
      const custom =
        issue.message && !issue.message.startsWith('Invalid input') ? issue.message : `expected ${expected}`;
      // `image:` with nothing after it, and the keys meant for it not indented under it.
      const indent =
        input === null && (issue.expected === 'object' || issue.expected === 'record' || issue.expected === 'array')
          ? ' (nothing is indented under this key: indent the lines that belong to it)'
          : '';
      // An empty value has no text of its own: its key is where it was written.
      return [problem(path, withInput(custom, input) + stringHint(issue.expected, input) + indent, input === null)];
    }
    case 'invalid_key':
      return [problem(path, issue.issues.map((i) => i.message).join('; ') || 'invalid key', true)];
    case 'invalid_union': {
      const msg =
        issue.message && !issue.message.startsWith('Invalid input')
          ? issue.message
          : 'expected one of the allowed forms';
      // A discriminated union reports the whole mapping; the user wrote the discriminator's value.
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const whole = (issue as { input?: unknown }).input;
      const input =
        discriminator && typeof whole === 'object' && whole !== null
          ? (whole as Record<string, unknown>)[discriminator]
          : whole;
      return [problem(path, input === undefined ? `is required; ${msg}` : withInput(msg, input))];
    }
    case 'invalid_value': {
      const input = (issue as { input?: unknown }).input;
      const msg =
        issue.message && !issue.message.startsWith('Invalid')
          ? issue.message
          : `expected one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      return [problem(path, input === undefined ? `is required; ${msg}` : withInput(msg, input))];
    }
    default: {
      const input = (issue as { input?: unknown }).input;
      const scalar = input !== undefined && (typeof input !== 'object' || input === null);
      return [problem(path, scalar ? withInput(issue.message, input) : issue.message)];
    }
  }
}

/**
 * Why a string was written where a number or true/false belongs, when it
 * looks like one: quotes (`port: "8080"`), or a YAML 1.1 boolean (`yes`),
 * which YAML 1.2 reads as a string.
 */
function stringHint(expected: string, input: unknown): string {
  if (typeof input !== 'string') return '';
  const text = input.trim();
  if ((expected === 'number' || expected === 'int') && /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text))
    return ` (the quotes make it a string: write ${text} without them)`;
  if (expected === 'boolean' && /^(true|false)$/.test(text))
    return ` (the quotes make it a string: write ${text} without them)`;
  if (expected === 'boolean' && /^(yes|no|on|off|y|n)$/i.test(text))
    return ` (YAML 1.2 reads ${text} as a string: write ${/^(yes|on|y)$/i.test(text) ? 'true' : 'false'})`;
  return '';
}

/** zod's type names as a user would say them. */
const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** "<what is wrong>; expected <what>": the value found first, then what was expected. */
function withFound(message: string, found: string): string {
  return message.startsWith('expected') ? `got ${found}; ${message}` : `${message} (got ${found})`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return `${typeof v} ${String(v)}`;
}

type AnyDef = {
  type: string;
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
};

function defOf(s: z.ZodType): AnyDef {
  return (s as unknown as { _zod: { def: AnyDef } })._zod.def;
}

/** The keys an object schema allows at `path`. */
function allowedKeys(schema: z.ZodType, path: (string | number)[]): string[] {
  const keys = new Set<string>();
  const visit = (s: z.ZodType, rest: (string | number)[]): void => {
    const d = defOf(s);
    switch (d.type) {
      case 'optional':
      case 'nullable':
      case 'default':
        visit(d.innerType!, rest);
        return;
      case 'pipe':
        visit(d.in!, rest);
        return;
      case 'union':
        for (const o of d.options!) visit(o, rest);
        return;
      case 'object':
        if (rest.length === 0) for (const k of Object.keys(d.shape!)) keys.add(k);
        else if (d.shape![String(rest[0])]) visit(d.shape![String(rest[0])]!, rest.slice(1));
        return;
      case 'array':
        if (rest.length) visit(d.element!, rest.slice(1));
        return;
      case 'record':
        if (rest.length) visit(d.valueType!, rest.slice(1));
        return;
      default:
        return;
    }
  };
  visit(schema, path);
  return [...keys].sort();
}
