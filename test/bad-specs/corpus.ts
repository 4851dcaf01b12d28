import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The bad-spec corpus. `_base/` is a small valid project (api, worker, db ×
 * stage, prod); every other folder is one case holding only the files that
 * differ from the base, plus `case.yaml`:
 *
 *   about:  what the case is about (one line)
 *   remove: [paths of the base to delete]          (optional)
 *   cli:    true when the case also runs through the real CLI (optional)
 *   expect: [the exact problem lines synth must report, "..." matching any text]
 *
 * An expected line is written as the CLI prints it, `file:line:col: field:
 * message`, so every case pins the file, position, field and message.
 */

export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));
export const BASE_DIR = join(CORPUS_DIR, '_base');
const CASE_FILE = 'case.yaml';

export interface BadSpecCase {
  readonly name: string;
  readonly dir: string;
  readonly about: string;
  readonly remove: readonly string[];
  readonly cli: boolean;
  readonly expect: readonly string[];
}

export function listCases(): BadSpecCase[] {
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(CORPUS_DIR, name);
      let raw: { about?: string; remove?: string[]; cli?: boolean; expect?: string[] };
      try {
        raw = parse(readFileSync(join(dir, CASE_FILE), 'utf8'));
      } catch (err) {
        throw new Error(
          `${name}/${CASE_FILE}: ${err instanceof Error ? err.message : String(err)} (quote values that hold ": ")`,
        );
      }
      if (!raw?.about || !Array.isArray(raw.expect) || raw.expect.length === 0)
        throw new Error(`${name}/${CASE_FILE}: expected about: and a non-empty expect: list`);
      return { name, dir, about: raw.about, remove: raw.remove ?? [], cli: raw.cli === true, expect: raw.expect };
    });
}

/** Writes the case's project into `into`: the base, minus `remove`, plus the case's own files. */
export function assembleCase(c: BadSpecCase, into: string): void {
  cpSync(BASE_DIR, into, { recursive: true });
  for (const path of c.remove) {
    if (!existsSync(join(into, path))) throw new Error(`${c.name}: remove: ${path} is not in the base project`);
    rmSync(join(into, path), { recursive: true });
  }
  for (const entry of readdirSync(c.dir)) {
    if (entry !== CASE_FILE) cpSync(join(c.dir, entry), join(into, entry), { recursive: true });
  }
}

/** Whether a reported line is the expected one; "..." in the expectation matches any text. */
export function lineMatches(expected: string, actual: string): boolean {
  const pattern = expected
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual);
}
