import { codeUnitOrder } from '../util/order.js';

/**
 * The rendered output as data: relative path → file content. Everything is
 * rendered and validated in memory first; only a complete, valid tree is
 * written to disk.
 */
export class RenderedTree {
  private readonly files = new Map<string, string>();
  private readonly executables = new Set<string>();
  /** paths(), kept until the next add: large trees are listed several times per run. */
  private sorted: string[] | undefined;

  /** Adds a file; `executable` files are written with mode 0755 (scripts). */
  add(path: string, content: string, options: { executable?: boolean } = {}): void {
    if (BAD_PATH.test(path)) throw new Error(`internal error: bad rendered path ${path}`);
    this.put(path, content, options.executable === true);
  }

  private put(path: string, content: string, executable: boolean): void {
    if (this.files.has(path)) throw new Error(`internal error: two rendered files at ${path}`);
    this.files.set(path, content);
    if (executable) this.executables.add(path);
    this.sorted = undefined;
  }

  isExecutable(path: string): boolean {
    return this.executables.has(path);
  }

  get(path: string): string | undefined {
    return this.files.get(path);
  }

  /** Paths in a stable order (a new array each time). */
  paths(): string[] {
    this.sorted ??= [...this.files.keys()].sort(codeUnitOrder);
    return [...this.sorted];
  }

  entries(): [string, string][] {
    return this.paths().map((p) => [p, this.files.get(p)!]);
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
