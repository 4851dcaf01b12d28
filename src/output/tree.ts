import { codeUnitOrder } from '../util/order.js';

/**
 * The content of a file known to be on disk as it was rendered before
 * (ProvenFolders), read when something first asks for it: a run that only
 * needs to know such a file is unchanged never reads it.
 */
export interface DeferredContent {
  /** The file's text; throws when it can no longer be read as it was proven. */
  load(): string;
}

/**
 * The rendered output as data: relative path → file content. Everything is
 * rendered and validated in memory first; only a complete, valid tree is
 * written to disk.
 */
export class RenderedTree {
  private readonly files = new Map<string, string | DeferredContent>();
  private readonly executables = new Set<string>();
  /** paths(), kept until the next add: large trees are listed several times per run. */
  private sorted: string[] | undefined;

  /** Adds a file; `executable` files are written with mode 0755 (scripts). */
  add(path: string, content: string, options: { executable?: boolean } = {}): void {
    if (BAD_PATH.test(path)) throw new Error(`internal error: bad rendered path ${path}`);
    this.put(path, content, options.executable === true);
  }

  /**
   * Adds a file whose content is read when first asked for (`get`), for a
   * file the output already holds as rendered (ProvenFolders).
   */
  addDeferred(path: string, content: DeferredContent): void {
    if (BAD_PATH.test(path)) throw new Error(`internal error: bad rendered path ${path}`);
    this.put(path, content, false);
  }

  private put(path: string, content: string | DeferredContent, executable: boolean): void {
    if (this.files.has(path)) throw new Error(`internal error: two rendered files at ${path}`);
    this.files.set(path, content);
    if (executable) this.executables.add(path);
    this.sorted = undefined;
  }

  isExecutable(path: string): boolean {
    return this.executables.has(path);
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** The content at `path` (read now if it was deferred and not read yet), undefined when there is no such file. */
  get(path: string): string | undefined {
    const content = this.files.get(path);
    return typeof content === 'object' ? content.load() : content;
  }

  /** Paths in a stable order (a new array each time). */
  paths(): string[] {
    this.sorted ??= [...this.files.keys()].sort(codeUnitOrder);
    return [...this.sorted];
  }

  /** Every file with its content: deferred contents are read. */
  entries(): [string, string][] {
    return this.paths().map((p) => [p, this.get(p)!]);
  }

  get size(): number {
    return this.files.size;
  }

  /** Merges another tree in, under `prefix` when given; a path present in both is an error. */
  merge(other: RenderedTree, prefix = ''): void {
    if (prefix !== '' && BAD_PATH.test(`${prefix}x`)) throw new Error(`internal error: bad rendered path ${prefix}`);
    for (const [p, c] of other.files) this.put(`${prefix}${p}`, c, other.executables.has(p));
  }
}

/** An absolute path, or one with an empty, `.` or `..` segment. */
const BAD_PATH = /^\/|(^|\/)\.{0,2}(\/|$)/;
