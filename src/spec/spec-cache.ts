import { createHash } from 'node:crypto';
import { cacheStoreDir } from '../util/caches.js';
import { codeIdentity } from '../util/code-identity.js';
import { PackStore } from '../util/pack-store.js';

/** Which schema a spec file is checked against; part of its key. */
export type SpecKind = 'settings' | 'environment' | 'service';

/** Part of every shard: a shard of another format is not read. */
const PACK_FORMAT = 'gitops-synth spec cache 3';

/**
 * The checked data of spec files, remembered by their text.
 *
 * Parsing YAML with positions and checking it against the schema cost about
 * 0.6 ms per service file, most of a warm synth of a large project. What a
 * file yields is a function of its kind, its text and the code that parses
 * and checks it (gitops-synth's code, yaml and zod), so a file whose text is
 * unchanged takes the data it yielded last time. Only files with no problem
 * of their own are remembered; checks across files run on every load.
 *
 * The project's store (pack-store.ts) holds the files of its last load and
 * nothing else, so the cache never grows beyond the project.
 */
export class SpecCache {
  /**
   * The cache of the project at `projectRoot` (absolute), where caches.ts
   * keeps it; undefined when the `specs` cache is off or the running code
   * cannot be identified.
   */
  static forProject(projectRoot: string, env: NodeJS.ProcessEnv = process.env): SpecCache | undefined {
    const dir = cacheStoreDir('specs', projectRoot, env);
    const code = dir === null ? undefined : codeIdentity();
    return dir === null || code === undefined ? undefined : SpecCache.open(dir, code);
  }

  /** The store in folder `dir` for the code `code` identifies (codeIdentity()). */
  static open(dir: string, code: string): SpecCache {
    return new SpecCache(PackStore.open(dir, { format: PACK_FORMAT, code }));
  }

  /** Keys whose data this load handed out already. */
  private readonly handedOut = new Set<string>();

  private constructor(private readonly store: PackStore<unknown>) {}

  /** The checked data a file of `kind` with `text` yielded before; undefined when it was not remembered. */
  lookup(kind: SpecKind, text: string): unknown {
    const key = keyOf(kind, text);
    const value = this.store.lookup(key);
    if (value === undefined) return undefined;
    // Two files with the same text get data of their own, as two parses would give.
    if (this.handedOut.has(key)) return structuredClone(value);
    this.handedOut.add(key);
    return value;
  }

  /** Remembers what a file of `kind` with `text` yielded: data that passed the file's own checks. */
  record(kind: SpecKind, text: string, value: unknown): void {
    this.store.record(keyOf(kind, text), value);
  }

  /** Keeps exactly the files of this load for the next one. */
  save(): void {
    this.store.save();
  }
}

function keyOf(kind: SpecKind, text: string): string {
  return createHash('sha256').update(`${kind}\0`).update(text).digest('hex');
}
