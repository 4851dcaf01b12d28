/**
 * The rendered output as data: relative path → file content. Everything is
 * rendered and validated in memory first; only a complete, valid tree is
 * written to disk.
 */
export class RenderedTree {
  private readonly files = new Map<string, string>();

  add(path: string, content: string): void {
    if (this.files.has(path)) throw new Error(`internal error: two rendered files at ${path}`);
    if (path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '')) throw new Error(`internal error: bad rendered path ${path}`);
    this.files.set(path, content);
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

  /** Merges another tree in; a path present in both is an error. */
  merge(other: RenderedTree): void {
    for (const [p, c] of other.entries()) this.add(p, c);
  }
}
