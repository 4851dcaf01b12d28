import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The spec files a lifecycle command changes, each remembered as it was
 * before the first change, so that any later failure (validation, synth) can
 * put every one of them back byte for byte. Folders it had to create are
 * removed again.
 */
export class FileTransaction {
  /** Absolute path → content before the first change (undefined: the file did not exist). */
  private readonly before = new Map<string, Buffer | undefined>();
  private readonly createdDirs: string[] = [];

  /** Writes `content` to `path` (through a temporary file and a rename, so it is never half-written). */
  write(path: string, content: string): void {
    this.remember(path);
    this.makeDir(dirname(path));
    const temp = join(dirname(path), `.${process.pid}-${Date.now()}.gitops-synth-tmp`);
    writeFileSync(temp, content);
    renameSync(temp, path);
  }

  remove(path: string): void {
    this.remember(path);
    rmSync(path, { force: true });
  }

  /** Paths changed so far, in the order first touched. */
  get paths(): string[] {
    return [...this.before.keys()];
  }

  /** Puts every touched file back as it was, and removes the folders this transaction created. */
  rollback(): void {
    for (const [path, content] of [...this.before].reverse()) {
      if (content === undefined) rmSync(path, { force: true });
      else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
      }
    }
    for (const dir of [...this.createdDirs].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Not empty: something else put a file there; leave it.
      }
    }
    this.before.clear();
    this.createdDirs.length = 0;
  }

  private remember(path: string): void {
    if (this.before.has(path)) return;
    this.before.set(path, existsSync(path) ? readFileSync(path) : undefined);
  }

  private makeDir(dir: string): void {
    if (existsSync(dir)) return;
    this.makeDir(dirname(dir));
    mkdirSync(dir);
    this.createdDirs.push(dir);
  }
}
