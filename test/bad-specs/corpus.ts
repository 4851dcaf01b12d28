import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The bad-spec corpus. `_base/` is a small valid project (api, worker, db ×
 * stage, prod); every other folder is one case holding only the files that
 * differ from the base, plus `case.yaml`:
 *
 *   about:    what the case is about (one line)
 *   remove:   [paths of the base to delete]          (optional)
 *   cli:      true when the case also runs through the real CLI (optional)
 *   expect:   [the exact problem lines synth must report, "..." matching any text]
 *   symlinks: {path: target} symbolic links to make (optional; what git
 *             cannot hold portably, or what points outside the project)
 *   folders:  [paths of empty folders to make] (optional)
 *   fifos:    [paths of named pipes to make] (optional)
 *   generate: [{path, head, repeat, times, tail}] files too large to keep:
 *             head, then repeat written `times` times, then tail (optional)
 *
 * An expected line is written as the CLI prints it, `file:line:col: field:
 * message`, so every case pins the file, position, field and message.
 */

export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));
export const BASE_DIR = join(CORPUS_DIR, '_base');
const CASE_FILE = 'case.yaml';

export interface GeneratedFile {
  readonly path: string;
  readonly head?: string;
  readonly repeat: string;
  readonly times: number;
  readonly tail?: string;
}

export interface BadSpecCase {
  readonly name: string;
  readonly dir: string;
  readonly about: string;
  readonly remove: readonly string[];
  readonly cli: boolean;
  readonly expect: readonly string[];
  readonly symlinks: Readonly<Record<string, string>>;
  readonly folders: readonly string[];
  readonly fifos: readonly string[];
  readonly generate: readonly GeneratedFile[];
}

export function listCases(): BadSpecCase[] {
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(CORPUS_DIR, name);
      let raw: {
        about?: string;
        remove?: string[];
        cli?: boolean;
        expect?: string[];
        symlinks?: Record<string, string>;
        folders?: string[];
        fifos?: string[];
        generate?: GeneratedFile[];
      };
      try {
        raw = parse(readFileSync(join(dir, CASE_FILE), 'utf8'));
      } catch (err) {
        throw new Error(
          `${name}/${CASE_FILE}: ${err instanceof Error ? err.message : String(err)} (quote values that hold ": ")`,
        );
      }
      if (!raw?.about || !Array.isArray(raw.expect) || raw.expect.length === 0)
        throw new Error(`${name}/${CASE_FILE}: expected about: and a non-empty expect: list`);
      return {
        name,
        dir,
        about: raw.about,
        remove: raw.remove ?? [],
        cli: raw.cli === true,
        expect: raw.expect,
        symlinks: raw.symlinks ?? {},
        folders: raw.folders ?? [],
        fifos: raw.fifos ?? [],
        generate: raw.generate ?? [],
      };
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
  for (const [path, target] of Object.entries(c.symlinks)) symlinkSync(target, join(into, path));
  for (const path of c.folders) mkdirSync(join(into, path), { recursive: true });
  for (const path of c.fifos) {
    const made = spawnSync('mkfifo', [join(into, path)]);
    if (made.status !== 0) throw new Error(`${c.name}: mkfifo ${path} failed`);
  }
  for (const g of c.generate)
    writeFileSync(join(into, g.path), `${g.head ?? ''}${g.repeat.repeat(g.times)}${g.tail ?? ''}`);
}

/** Whether a reported line is the expected one; "..." in the expectation matches any text. */
export function lineMatches(expected: string, actual: string): boolean {
  const pattern = expected
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual);
}
