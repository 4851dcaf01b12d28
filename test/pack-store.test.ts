import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACK_STORE_MAX_AGE_DAYS, PackStore, projectStoreDir } from '../src/util/pack-store.js';
import { tempDir } from './helpers.js';

/**
 * A project's store of one cache (pack-store.ts) holds exactly what the
 * project's last run used: it never grows beyond one run, rewrites only the
 * shards that changed, and stores of projects that stopped running go away.
 */

const OPTIONS = { format: 'test format', code: 'test code' };

/** A hex key whose first digit (its shard) is `digit`. */
const key = (digit: string, n: number) => `${digit}${n.toString(16).padStart(63, '0')}`;

function open(dir: string, options = OPTIONS): PackStore<{ n: number }> {
  return PackStore.open<{ n: number }>(dir, options);
}

function shards(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('a pack store', () => {
  it('gives back what the last run recorded or used, and nothing else', () => {
    const dir = join(tempDir(), 'store');
    const first = open(dir);
    first.record(key('a', 1), { n: 1 });
    first.record(key('a', 2), { n: 2 });
    first.record(key('3', 3), { n: 3 });
    first.save();
    expect(shards(dir)).toEqual(['3.v8', 'a.v8']);

    // The second run uses one entry of shard a, adds one to shard 7, and never asks for shard 3.
    const second = open(dir);
    expect(second.lookup(key('a', 1))).toEqual({ n: 1 });
    expect(second.lookup(key('a', 9))).toBeUndefined();
    second.record(key('7', 7), { n: 7 });
    second.save();
    expect(shards(dir)).toEqual(['7.v8', 'a.v8']);

    const third = open(dir);
    expect(third.lookup(key('a', 1))).toEqual({ n: 1 });
    expect(third.lookup(key('a', 2))).toBeUndefined();
    expect(third.lookup(key('3', 3))).toBeUndefined();
    expect(third.lookup(key('7', 7))).toEqual({ n: 7 });

    // A new value for a key the store holds replaces it (the run record keeps one key).
    third.record(key('7', 7), { n: 8 });
    third.save();
    expect(open(dir).lookup(key('7', 7))).toEqual({ n: 8 });
  });

  it('rewrites only the shards whose entries changed', () => {
    const dir = join(tempDir(), 'store');
    const first = open(dir);
    for (let i = 0; i < 4; i++) for (const d of ['1', 'b']) first.record(key(d, i), { n: i });
    first.save();
    const before = Object.fromEntries(shards(dir).map((f) => [f, statSync(join(dir, f))]));

    const second = open(dir);
    for (let i = 0; i < 4; i++) second.lookup(key('1', i));
    for (let i = 0; i < 3; i++) second.lookup(key('b', i));
    second.record(key('b', 4), { n: 4 });
    second.save();
    const after = Object.fromEntries(shards(dir).map((f) => [f, statSync(join(dir, f))]));
    expect(after['1.v8']!.ino).toBe(before['1.v8']!.ino);
    expect(after['1.v8']!.mtimeMs).toBe(before['1.v8']!.mtimeMs);
    expect(after['b.v8']!.ino).not.toBe(before['b.v8']!.ino);
  });

  it('reads nothing from a damaged shard or one of another format or code, and writes a good one again', () => {
    const dir = join(tempDir(), 'store');
    const first = open(dir);
    first.record(key('c', 1), { n: 1 });
    first.save();
    const good = readFileSync(join(dir, 'c.v8'));
    expect(open(dir, { ...OPTIONS, code: 'other code' }).lookup(key('c', 1))).toBeUndefined();
    expect(open(dir, { ...OPTIONS, format: 'other format' }).lookup(key('c', 1))).toBeUndefined();

    writeFileSync(join(dir, 'c.v8'), good.subarray(0, good.length - 3));
    const second = open(dir);
    expect(second.lookup(key('c', 1))).toBeUndefined();
    second.record(key('c', 1), { n: 1 });
    second.save();
    expect(readFileSync(join(dir, 'c.v8'))).toEqual(good);
  });

  it('refuses a key that is not a hex digest', () => {
    expect(() => open(tempDir()).lookup('Zebra')).toThrow(/lowercase hex digests/);
  });

  it(`removes the stores of projects that no run saved for ${PACK_STORE_MAX_AGE_DAYS} days, and nothing else`, () => {
    const cache = tempDir();
    const stale = projectStoreDir(cache, 'folders', '/gone/project');
    const recent = projectStoreDir(cache, 'folders', '/other/project');
    for (const d of [stale, recent]) {
      const s = open(d);
      s.record(key('0', 1), { n: 1 });
      s.save();
    }
    const old = new Date(Date.now() - (PACK_STORE_MAX_AGE_DAYS + 1) * 24 * 60 * 60 * 1000);
    utimesSync(stale, old, old);
    writeFileSync(join(cache, 'folders', `${'0123abcd'.repeat(4)}.v8`), 'not a store');
    // Anything else beside the stores is not theirs to remove, however old.
    writeFileSync(join(cache, 'folders', 'notes.txt'), 'kept');
    mkdirSync(join(cache, 'folders', 'abcdef'));
    utimesSync(join(cache, 'folders', 'abcdef'), old, old);

    const mine = open(projectStoreDir(cache, 'folders', '/my/project'));
    mine.record(key('5', 5), { n: 5 });
    mine.save();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    const stores = [recent, projectStoreDir(cache, 'folders', '/my/project')].map((d) =>
      d.slice(join(cache, 'folders').length + 1),
    );
    expect(readdirSync(join(cache, 'folders')).sort()).toEqual(
      [...stores, `${'0123abcd'.repeat(4)}.v8`, 'abcdef', 'notes.txt'].sort(),
    );
  });

  it('keeps the entries a partial run did not use when asked, and only then', () => {
    const dir = tempDir();
    const first = open(dir);
    for (const d of ['1', '2']) first.record(key(d, 1), { n: Number(d) });
    first.save();
    const partial = open(dir);
    partial.record(key('1', 2), { n: 3 });
    partial.save({ keepUnused: true });
    const all = open(dir);
    expect([all.lookup(key('1', 1)), all.lookup(key('1', 2)), all.lookup(key('2', 1))]).toEqual([
      { n: 1 },
      { n: 3 },
      { n: 2 },
    ]);
    all.save();
    const exact = open(dir);
    exact.lookup(key('2', 1));
    exact.save();
    expect(shards(dir)).toEqual(['2.v8']);
  });

  it('leaves a cache that cannot be written as it was, without failing', () => {
    const blocked = join(tempDir(), 'a-file');
    writeFileSync(blocked, '');
    const s = open(join(blocked, 'store'));
    s.record(key('1', 1), { n: 1 });
    expect(() => s.save()).not.toThrow();
    expect(readFileSync(blocked, 'utf8')).toBe('');
  });
});
