/**
 * The rendered output as data: relative path → file content. Everything is
 * rendered and validated in memory first; only a complete, valid tree is
 * written to disk.
 */
export class RenderedTree {
  private readonly files = new Map<string, string>();
  private readonly executables = new Set<string>();

  /** Adds a file; `executable` files are written with mode 0755 (scripts). */
  add(path: string, content: string, options: { executable?: boolean } = {}): void {
    if (this.files.has(path)) throw new Error(`internal error: two rendered files at ${path}`);
    if (path.startsWith('/') || path.split('/').some((s) => s === '..' || s === ''))
      throw new Error(`internal error: bad rendered path ${path}`);
    this.files.set(path, content);
    if (options.executable) this.executables.add(path);
  }

  isExecutable(path: string): boolean {
    return this.executables.has(path);
  }

  get(path: string): string | undefined {
    return this.files.get(path);
  }

  /** Paths in a stable order. */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  entries(): [string, string][] {
    return this.paths().map((p) => [p, this.files.get(p)!]);
  }

  get size(): number {
    return this.files.size;
  }

  /** Merges another tree in, under `prefix` when given; a path present in both is an error. */
  merge(other: RenderedTree, prefix = ''): void {
    for (const [p, c] of other.entries()) this.add(`${prefix}${p}`, c, { executable: other.isExecutable(p) });
  }
}
