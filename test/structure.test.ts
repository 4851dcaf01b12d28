import { describe, expect, it } from 'vitest';
import { folderCycles, folderImports } from '../scripts/folder-imports.mjs';

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
});
