import type { z } from 'zod';
import type { SpecProblem } from './errors.js';
import type { SourceFile } from './source.js';

/**
 * Turns zod's issues into located, readable problems: unknown keys list the
 * keys that are allowed (with a "did you mean" when one is close), type errors
 * say what was expected and what was found.
 */
export function validateWith<T>(schema: z.ZodType<T>, source: SourceFile, data: unknown, basePath: (string | number)[] = []): { value?: T; problems: SpecProblem[] } {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { value: result.data, problems: [] };
  const problems: SpecProblem[] = [];
  for (const issue of result.error.issues) problems.push(...toProblems(schema, source, issue, basePath));
  return { problems };
}

function toProblems(schema: z.ZodType, source: SourceFile, issue: z.core.$ZodIssue, basePath: (string | number)[]): SpecProblem[] {
  const path = [...basePath, ...(issue.path as (string | number)[])];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, issue.path as (string | number)[]);
      return issue.keys.map((key) => {
        const suggestion = closest(key, allowed);
        const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
        const list = allowed.length ? `; expected one of: ${allowed.join(', ')}` : '';
        return source.problem([...path, key], `unknown key "${key}"${hint}${list}`, true);
      });
    }
    case 'invalid_type': {
      const input = (issue as { input?: unknown }).input;
      if (input === undefined) return [source.problem(path, `is required (expected ${issue.expected})`)];
      const custom = issue.message && !issue.message.startsWith('Invalid input') ? issue.message : `expected ${issue.expected}`;
      return [source.problem(path, `${custom}, got ${describe(input)}`)];
    }
    case 'invalid_key':
      return [source.problem(path, issue.issues.map((i) => i.message).join('; ') || 'invalid key', true)];
    case 'invalid_union': {
      const msg = issue.message && !issue.message.startsWith('Invalid input') ? issue.message : 'does not match any allowed form';
      const input = (issue as { input?: unknown }).input;
      return [source.problem(path, input === undefined ? `is required (${msg})` : `${msg}, got ${describe(input)}`)];
    }
    case 'invalid_value': {
      const input = (issue as { input?: unknown }).input;
      const msg = issue.message && !issue.message.startsWith('Invalid') ? issue.message : `expected one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      return [source.problem(path, input === undefined ? `is required (${msg})` : `${msg}, got ${describe(input)}`)];
    }
    default: {
      const input = (issue as { input?: unknown }).input;
      const got = input !== undefined && (typeof input !== 'object' || input === null) ? `, got ${describe(input)}` : '';
      return [source.problem(path, `${issue.message}${got}`)];
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return `${typeof v} ${String(v)}`;
}

type AnyDef = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[] };

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
        return visit(d.innerType!, rest);
      case 'pipe':
        return visit(d.in!, rest);
      case 'union':
        return d.options!.forEach((o) => visit(o, rest));
      case 'object':
        if (rest.length === 0) Object.keys(d.shape!).forEach((k) => keys.add(k));
        else if (d.shape![String(rest[0])]) visit(d.shape![String(rest[0])]!, rest.slice(1));
        return;
      case 'array':
        return rest.length ? visit(d.element!, rest.slice(1)) : undefined;
      case 'record':
        return rest.length ? visit(d.valueType!, rest.slice(1)) : undefined;
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
