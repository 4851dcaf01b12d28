import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';

/**
 * Remembered work of one project, kept in pack files that hold exactly what
 * the project's last run used.
 *
 * Each of gitops-synth's caches (spec data, rendered folders, kubectl builds)
 * keeps one store per project: a folder of up to 16 shard files, each a
 * V8-serialized map from key to value. A run looks entries up and records
 * new ones; `save()` then rewrites only the shards whose entries changed and
 * deletes the shards nothing used, so a store never grows beyond one run of
 * its project. V8's serialization gives back exactly the values stored
 * (undefined, -0, NaN and Infinity included). A shard is replaced with a
 * rename, so a reader never meets half of one; two runs of one project at
 * once each write what they used, and the later one wins.
 *
 * Stores of projects that no run has saved for PACK_STORE_MAX_AGE_DAYS are
 * removed by the next save of any store beside them (temporary projects,
 * moved or deleted checkouts).
 */

/**
 * The folder of the store of `section` for the project at `projectRoot`
 * (absolute) in `cacheDir`: `<cacheDir>/<section>/<digest of the project's path>`.
 */
export function projectStoreDir(cacheDir: string, section: string, projectRoot: string): string {
  return join(cacheDir, section, createHash('sha256').update(projectRoot).digest('hex').slice(0, 32));
}

/** A store nobody saved for this many days is removed by the next save beside it. */
export const PACK_STORE_MAX_AGE_DAYS = 30;

export interface PackStoreOptions {
  /** Names what the values are; a shard of another format is not read. */
  readonly format: string;
  /** Digest of the code that made the values (codeIdentity()); a shard made by other code is not read. */
  readonly code: string;
}

interface Shard<V> {
  readonly format: string;
  readonly code: string;
  readonly entries: Map<string, V>;
}

/**
 * One project's entries of one cache. Keys must be lowercase hex digests: the
 * first digit picks the shard.
 */
export class PackStore<V> {
  /** The store in folder `dir`; shards are read when a key of theirs is first asked for. */
  static open<V>(dir: string, options: PackStoreOptions): PackStore<V> {
    return new PackStore<V>(dir, options);
  }

  /** Shards read so far, by digit: what they held. */
  private readonly known = new Map<string, ReadonlyMap<string, V>>();
  /** Entries looked up or recorded by this run, by shard digit: the next shards. */
  private readonly used = new Map<string, Map<string, V>>();
  /** Shards that gained an entry they did not hold, or a new value for one. */
  private readonly added = new Set<string>();

  private constructor(
    private readonly dir: string,
    private readonly options: PackStoreOptions,
  ) {}

  /** The value remembered for `key`, or undefined. */
  lookup(key: string): V | undefined {
    const digit = shardOf(key);
    const shard = this.shard(digit);
    if (!shard.has(key)) return undefined;
    const value = shard.get(key)!;
    this.usedIn(digit).set(key, value);
    return value;
  }

  /** Remembers `value` for `key` (kept by the next save), in place of what the key held. */
  record(key: string, value: V): void {
    const digit = shardOf(key);
    // A new value for a key the shard holds (the run record's one key) changes the shard as a new key does.
    if (this.shard(digit).get(key) !== value) this.added.add(digit);
    this.usedIn(digit).set(key, value);
  }

  /**
   * Writes the shards whose entries changed, deletes the ones this run did
   * not use, and removes stale stores beside this one. With `keepUnused`
   * (a run that saw only part of the project's work), the entries it did
   * not use stay too. A store that cannot be written is left as it was: the
   * next run just finds less.
   */
  save(options: { keepUnused?: boolean } = {}): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      for (const file of readdirSync(this.dir)) {
        const digit = basename(file, SHARD_SUFFIX);
        if (!file.endsWith(SHARD_SUFFIX) || (!options.keepUnused && !this.used.has(digit)))
          rmSync(join(this.dir, file), { recursive: true, force: true });
      }
      for (const [digit, used] of this.used) {
        if (options.keepUnused && !this.added.has(digit)) continue;
        const entries = options.keepUnused ? new Map([...this.shard(digit), ...used]) : used;
        if (!this.added.has(digit) && entries.size === this.shard(digit).size) continue;
        const file = join(this.dir, `${digit}${SHARD_SUFFIX}`);
        const staging = `${file}.${process.pid}.tmp`;
        try {
          writeFileSync(
            staging,
            serialize({ format: this.options.format, code: this.options.code, entries } satisfies Shard<V>),
          );
          renameSync(staging, file);
        } catch (err) {
          rmSync(staging, { force: true });
          throw err;
        }
      }
      // The folder's time says when its project last ran.
      const now = new Date();
      utimesSync(this.dir, now, now);
      removeStaleStores(dirname(this.dir), this.dir, now.getTime());
    } catch {
      // A read-only or full cache: nothing more to do.
    }
  }

  private shard(digit: string): ReadonlyMap<string, V> {
    let shard = this.known.get(digit);
    if (shard === undefined) {
      shard = readShard<V>(join(this.dir, `${digit}${SHARD_SUFFIX}`), this.options);
      this.known.set(digit, shard);
    }
    return shard;
  }

  private usedIn(digit: string): Map<string, V> {
    let entries = this.used.get(digit);
    if (entries === undefined) {
      entries = new Map();
      this.used.set(digit, entries);
    }
    return entries;
  }
}

const SHARD_SUFFIX = '.v8';

function shardOf(key: string): string {
  const digit = key[0];
  if (digit === undefined || !/^[0-9a-f]$/.test(digit))
    throw new Error(`pack store keys are lowercase hex digests, got "${key}"`);
  return digit;
}

/** A shard's entries; empty when the file is missing, damaged, or of another format or code. */
function readShard<V>(file: string, options: PackStoreOptions): ReadonlyMap<string, V> {
  try {
    const shard = deserialize(readFileSync(file)) as Partial<Shard<V>> | undefined;
    if (shard?.format === options.format && shard.code === options.code && shard.entries instanceof Map)
      return shard.entries;
  } catch {
    // No shard yet, or one that cannot be read.
  }
  return new Map();
}

/**
 * Removes from `parent` every project store other than `keep` that was not
 * saved for PACK_STORE_MAX_AGE_DAYS. Only names projectStoreDir gives are
 * touched: a store opened elsewhere (a test's temporary folder) may sit
 * beside anything.
 */
function removeStaleStores(parent: string, keep: string, now: number): void {
  const maxAgeMs = PACK_STORE_MAX_AGE_DAYS * 24 * 60 * 60 * 1000;
  for (const name of readdirSync(parent)) {
    const path = join(parent, name);
    if (path === keep || !STORE_NAME.test(name)) continue;
    try {
      const st = statSync(path);
      if (st.isDirectory() && now - st.mtimeMs > maxAgeMs) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another run meanwhile.
    }
  }
}

/** How projectStoreDir names a project's store: 32 hex digits of a digest of its path. */
const STORE_NAME = /^[0-9a-f]{32}$/;
