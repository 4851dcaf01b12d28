import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderCycles, folderImports } from '../scripts/folder-imports.mjs';

const ROOT = join(import.meta.dirname, '..');
/** Issue 12: no source line over about 120 characters (Biome's lineWidth; it does not break string literals). */
const MAX_LINE = 120;

/** `file:line (length)` of every line of `text` longer than `max` characters (code points, not UTF-16 units). */
function longLines(file: string, text: string, max = MAX_LINE): string[] {
  return text.split('\n').flatMap((line, i) => {
    const length = [...line].length;
    return length > max ? [`${file}:${i + 1} (${length})`] : [];
  });
}

/** The source files, relative to the repository root: src/ recursively, bin/ and scripts/. */
function sourceFiles(): string[] {
  const files = (dir: string, recursive: boolean, ext: RegExp) =>
    readdirSync(join(ROOT, dir), { recursive, withFileTypes: true })
      .filter((e) => e.isFile() && ext.test(e.name))
      .map((e) => relative(ROOT, join(e.parentPath, e.name)));
  return [...files('src', true, /\.ts$/), ...files('bin', false, /\.js$/), ...files('scripts', false, /\.mjs$/)];
}

describe('the source tree', () => {
  it('has no import cycle between the folders of src/', () => {
    const edges = folderImports();
    const listing = [...edges].flatMap(([from, to]) =>
      [...to].map(([t, files]) => `${from} -> ${t}: ${[...files].join(', ')}`),
    );
    expect(listing.length).toBeGreaterThan(10);
    expect(folderCycles(edges), listing.join('\n')).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const edges = new Map([
      ['a', new Map([['b', new Set(['a/x.ts'])]])],
      ['b', new Map([['c', new Set(['b/y.ts'])]])],
      ['c', new Map([['a', new Set(['c/z.ts'])]])],
    ]);
    expect(folderCycles(edges)).toEqual([['a', 'b', 'c']]);
  });

  it(`has no line over ${MAX_LINE} characters in src/, bin/ or scripts/`, () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const long = files.flatMap((f) => longLines(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(long, 'split long strings into concatenations, wrap long comments').toEqual([]);
  });

  it('names each long line with its file, line and length', () => {
    const text = ['short', 'x'.repeat(MAX_LINE), 'y'.repeat(MAX_LINE + 1), `${'→'.repeat(MAX_LINE)}`, ''].join('\n');
    expect(longLines('src/a.ts', text)).toEqual([`src/a.ts:3 (${MAX_LINE + 1})`]);
  });
});
