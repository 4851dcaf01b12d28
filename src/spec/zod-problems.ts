import type { z } from 'zod';
import type { SpecProblem } from './errors.js';
import type { SourceFile } from './source.js';

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
  return { value, problems: issues.map((i) => source.problem([...basePath, ...i.path], i.message, i.atKey)) };
}

/** A readable schema problem at a field path, to be located by the caller. */
export interface FieldIssue {
  readonly path: (string | number)[];
  readonly message: string;
  /** Point at the key rather than its value (unknown keys). */
  readonly atKey: boolean;
}

/** Checks `data` against `schema`; for data merged from several places, whose caller knows where each field was written. */
export function checkSchema<T>(schema: z.ZodType<T>, data: unknown): { value?: T; issues: FieldIssue[] } {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { value: result.data, issues: [] };
  return { issues: result.error.issues.flatMap((issue) => toIssues(schema, issue)) };
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
      return issue.keys.map((key) => {
        const suggestion = closest(key, allowed);
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
      return [problem(path, withInput(custom, input))];
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

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
