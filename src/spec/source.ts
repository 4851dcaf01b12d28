import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SpecLocation, SpecProblem } from './errors.js';
import { fieldPath } from './errors.js';

/**
 * A YAML file kept together with its parse tree, so that any field path can
 * be turned back into a line and column for an error message.
 */
export class SourceFile {
  readonly file: string;
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  private constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  /** Parses `text` (read from `absPath` when not given); YAML syntax errors become problems. */
  static parse(absPath: string, root: string, text?: string): { source: SourceFile; problems: SpecProblem[] } {
    const file = relative(root, absPath) || absPath;
    const src = text ?? readFileSync(absPath, 'utf8');
    const lines = new LineCounter();
    const doc = parseDocument(src, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
    const problems: SpecProblem[] = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, field: '', message: `YAML syntax error: ${firstLine(e.message)}` };
    });
    return { source: new SourceFile(file, doc, lines), problems };
  }

  /** The plain data of the document (empty object for an empty file). */
  data(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 }) ?? {};
  }

  /** Whether the document has a node at `path`. */
  has(path: readonly (string | number)[]): boolean {
    return path.length === 0 || this.doc.getIn(path, true) !== undefined;
  }

  /**
   * Where `path` was written. Falls back to the nearest ancestor that exists,
   * so a missing key points at the object that should have had it. With
   * `atKey`, points at the key of a mapping entry instead of its value
   * (used for unknown keys).
   */
  locate(path: readonly (string | number)[], atKey = false): SpecLocation {
    for (let depth = path.length; depth >= 0; depth--) {
      const sub = path.slice(0, depth);
      const node = atKey && depth === path.length && depth > 0 ? this.keyNode(sub) : (this.doc.getIn(sub, true) as Node | undefined) ?? (depth === 0 ? (this.doc.contents as Node | null) : undefined);
      if (node && node.range) {
        const pos = this.lines.linePos(node.range[0]);
        return { file: this.file, line: pos.line, column: pos.col };
      }
    }
    return { file: this.file };
  }

  /** A problem located at `path`. */
  problem(path: readonly (string | number)[], message: string, atKey = false): SpecProblem {
    return { ...this.locate(path, atKey), field: fieldPath(path), message };
  }

  private keyNode(path: readonly (string | number)[]): Node | undefined {
    const parent = path.length > 1 ? this.doc.getIn(path.slice(0, -1), true) : this.doc.contents;
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    for (const item of parent.items) {
      if (isPair(item) && isScalar(item.key) && item.key.value === last) return item.key as Node;
    }
    return undefined;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
