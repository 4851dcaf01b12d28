import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';

/** Which schema a spec file is checked against; part of its key. */
export type SpecKind = 'settings' | 'environment' | 'service';

/** Part of the pack: a pack of another format is not read. */
const PACK_FORMAT = 'gitops-synth spec cache 1';

interface Pack {
  readonly format: string;
  readonly code: string;
  readonly entries: Map<string, unknown>;
}

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
 * One pack file per project holds the files of its last load and nothing
 * else, so the cache never grows beyond the project. It is written in V8's
 * serialization, which gives back exactly the values stored (undefined,
 * -0, NaN and Infinity included), and replaced with a rename, so a reader
 * never meets half a pack.
 */
export class SpecCache {
  /**
   * The pack at `file` for the code `code` identifies (codeIdentity()); a
   * missing, damaged or other-code pack starts empty.
   */
  static open(file: string, code: string): SpecCache {
    let entries = new Map<string, unknown>();
    try {
      const pack = deserialize(readFileSync(file)) as Partial<Pack> | undefined;
      if (pack?.format === PACK_FORMAT && pack.code === code && pack.entries instanceof Map) entries = pack.entries;
    } catch {
      // No pack yet, or one that cannot be read: every file is parsed.
    }
    return new SpecCache(file, code, entries);
  }

  /** Entries looked up or added by this load: the next pack. */
  private readonly used = new Map<string, unknown>();
  private added = false;

  private constructor(
    private readonly file: string,
    private readonly code: string,
    private readonly known: ReadonlyMap<string, unknown>,
  ) {}

  /** The checked data a file of `kind` with `text` yielded before; undefined when it was not remembered. */
  lookup(kind: SpecKind, text: string): unknown {
    const key = keyOf(kind, text);
    if (!this.known.has(key)) return undefined;
    // Two files with the same text get data of their own, as two parses would give.
    if (this.used.has(key)) return structuredClone(this.known.get(key));
    const value = this.known.get(key);
    this.used.set(key, value);
    return value;
  }

  /** Remembers what a file of `kind` with `text` yielded: data that passed the file's own checks. */
  record(kind: SpecKind, text: string, value: unknown): void {
    const key = keyOf(kind, text);
    if (!this.used.has(key)) this.added = true;
    this.used.set(key, value);
  }

  /**
   * Writes the pack of this load when it differs from the one read: new
   * files, or files no longer there. A cache that cannot be written is left
   * as it was.
   */
  save(): void {
    if (!this.added && this.used.size === this.known.size) return;
    const pack: Pack = { format: PACK_FORMAT, code: this.code, entries: this.used };
    const staging = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(staging, serialize(pack));
      renameSync(staging, this.file);
    } catch {
      rmSync(staging, { force: true });
    }
  }
}

function keyOf(kind: SpecKind, text: string): string {
  return createHash('sha256').update(`${kind}\0`).update(text).digest('base64url');
}
