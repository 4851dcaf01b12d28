import { relative } from 'node:path';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import type { SpecLocation, SpecProblem } from './errors.js';
import { fieldPath } from './errors.js';

/** The parse tree of a file and the line starts its positions are counted from. */
interface ParsedText {
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/** The one way a spec's text is parsed, so that a tree parsed again is the same tree. */
function parseText(text: string): ParsedText {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  return { doc, lines };
}

/**
 * A YAML file kept together with its parse tree, so that any field path can
 * be turned back into a line and column for an error message.
 *
 * The tree of a file that parsed cleanly is not kept: it is parsed again
 * from the same text the first time a position is asked for, which only
 * happens when something is wrong. Keeping a thousand trees alive for the
 * whole run made loading a large project about a tenth slower (they are
 * copied by every young-generation garbage collection until promoted).
 */
export class SourceFile {
  readonly file: string;
  /** The text that was parsed; the tree is always parsed from it, never from the file again. */
  private readonly text: string;
  private parsed: ParsedText | undefined;

  private constructor(file: string, text: string, parsed: ParsedText | undefined) {
    this.file = file;
    this.text = text;
    this.parsed = parsed;
  }

  /** The parse tree, with the positions of every node. */
  get doc(): Document.Parsed {
    return this.tree().doc;
  }

  private tree(): ParsedText {
    this.parsed ??= parseText(this.text);
    return this.parsed;
  }

  /**
   * Parses `src`, the text of the file at `absPath`; YAML syntax errors
   * become problems. Also returns the plain data (as `data()` would), so the
   * caller does not convert the document a second time.
   */
  static parse(
    absPath: string,
    root: string,
    src: string,
  ): { source: SourceFile; problems: SpecProblem[]; data?: unknown } {
    const file = fileName(absPath, root);
    const parsed = parseText(src);
    const { doc, lines } = parsed;
    const problems: SpecProblem[] = doc.errors.map((e) => {
      const { at, message } = syntaxError(e, src);
      const pos = lines.linePos(at);
      return { file, line: pos.line, column: pos.col, field: '', message: `YAML syntax error: ${message}` };
    });
    let data: unknown;
    if (problems.length === 0) {
      // Aliases are resolved only when converting: an unknown or runaway alias is a problem too, not a crash.
      try {
        data = toData(doc);
      } catch (err) {
        const alias = unresolvedAlias(doc);
        const pos = lines.linePos(alias?.range?.[0] ?? 0);
        const message = alias
          ? `the alias *${alias.source} has no anchor &${alias.source} above it; expected an alias of an anchor defined earlier in the file`
          : `${err instanceof Error ? firstLine(err.message) : String(err)}; expected fewer aliases`;
        problems.push({ file, line: pos.line, column: pos.col, field: '', message: `YAML syntax error: ${message}` });
      }
    }
    if (problems.length) return { source: new SourceFile(file, src, parsed), problems };
    return { source: new SourceFile(file, src, undefined), problems, data };
  }

  /**
   * A file whose `text` parsed cleanly before (spec-cache.ts): it is parsed
   * only if a position is asked for.
   */
  static unparsed(absPath: string, root: string, text: string): SourceFile {
    return new SourceFile(fileName(absPath, root), text, undefined);
  }

  /** The plain data of the document (empty object for an empty file). */
  data(): unknown {
    return toData(this.doc);
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
      let node =
        atKey && depth === path.length && depth > 0
          ? this.keyNode(sub)
          : ((this.doc.getIn(sub, true) as Node | undefined) ??
            (depth === 0 ? (this.doc.contents as Node | null) : undefined));
      // A block mapping or list starts at its first entry, a line below its key: point at the key instead.
      if (node && depth > 0 && (isMap(node) || isSeq(node)) && !node.flow) node = this.keyNode(sub) ?? node;
      if (node?.range) {
        const pos = this.tree().lines.linePos(node.range[0]);
        return { file: this.file, line: pos.line, column: pos.col };
      }
    }
    // An empty file: its first line is the only place to point at.
    return { file: this.file, line: 1, column: 1 };
  }

  /** A problem located at `path`. */
  problem(path: readonly (string | number)[], message: string, atKey = false): SpecProblem {
    return { ...this.locate(path, atKey), field: fieldPath(path), message };
  }

  /**
   * Where a piece of the string value at `path` was written: `span.text` at
   * `span.offset` of the value, such as one `${service:x}` on the third line
   * of a `files:` block. The n-th occurrence of the text in the value is the
   * n-th in the scalar's source as long as every occurrence is written
   * verbatim (plain, single-quoted, literal and folded scalars). When the
   * source holds a different number of them (an escape in a double-quoted
   * string, an alias), it falls back to where the value starts.
   */
  locateInValue(path: readonly (string | number)[], span: ValueSpan): SpecLocation {
    const node = span.text === '' ? undefined : this.doc.getIn(path, true);
    if (
      isScalar(node) &&
      typeof node.value === 'string' &&
      node.range &&
      node.value.startsWith(span.text, span.offset)
    ) {
      const inValue = occurrences(node.value, span.text);
      const inSource = occurrences(this.text.slice(node.range[0], node.range[1]), span.text);
      const nth = inValue.indexOf(span.offset);
      if (nth >= 0 && inSource.length === inValue.length) {
        const pos = this.tree().lines.linePos(node.range[0] + inSource[nth]!);
        return { file: this.file, line: pos.line, column: pos.col };
      }
    }
    return this.locate(path);
  }

  /** A problem with a piece of the value at `path`, located at that piece (see locateInValue); the field is still `path`. */
  problemInValue(path: readonly (string | number)[], span: ValueSpan, message: string): SpecProblem {
    return { ...this.locateInValue(path, span), field: fieldPath(path), message };
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

/** A piece of a string value: `text`, found at `offset` of the value. */
export interface ValueSpan {
  readonly text: string;
  readonly offset: number;
}

/** Offsets of every occurrence of `text` in `s`, overlapping ones included. */
function occurrences(s: string, text: string): number[] {
  const out: number[] = [];
  for (let i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1)) out.push(i);
  return out;
}

/** How problems name a file: relative to the project root. */
function fileName(absPath: string, root: string): string {
  return relative(root, absPath) || absPath;
}

function toData(doc: Document.Parsed): unknown {
  return doc.toJS({ maxAliasCount: 100 }) ?? {};
}

/**
 * A YAML parse error in the user's terms, located where the mistake was
 * made: an unclosed bracket or quote is reported where it was opened, not
 * where the parser gave up.
 */
function syntaxError(e: YAMLError, src: string): { at: number; message: string } {
  const at = e.pos[0];
  const text = firstLine(e.message);
  switch (e.code) {
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(src.slice(at))![0].trim();
      return { at, message: `the key ${key} is written twice in one mapping; expected each key once` };
    }
    case 'TAB_AS_INDENT':
      return { at, message: 'a tab is used for indentation; expected spaces' };
    case 'BLOCK_AS_IMPLICIT_KEY':
      return {
        at,
        message: 'this value holds ": " or ends with ":", which starts a nested mapping; expected the value in quotes',
      };
    case 'MULTIPLE_DOCS':
      return { at, message: 'the file holds more than one YAML document (---); expected one document per file' };
    default:
      break;
  }
  if (text.startsWith('All mapping items must start at the same column')) {
    return {
      at,
      message: 'this key is not aligned with the keys above it; expected every key of a mapping at the same column',
    };
  }
  const flow = /^Flow (sequence|map)/.exec(text);
  if (flow) {
    const [open, close] = flow[1] === 'sequence' ? ['[', ']'] : ['{', '}'];
    const opened = unclosedBefore(src, at, open, close);
    if (opened !== undefined)
      return {
        at: opened,
        message: `this ${open} is not closed; expected a closing ${close} (a flow collection that goes on over several lines must be indented more than its key)`,
      };
  }
  const quote = /^Missing closing (["'])quote/.exec(text);
  if (quote) {
    const opened = src.lastIndexOf(quote[1]!, at);
    if (opened >= 0) return { at: opened, message: `this quoted string is not closed; expected a closing ${quote[1]}` };
  }
  return { at, message: text };
}

/** Offset of the last `open` before `end` that no `close` matches. */
function unclosedBefore(src: string, end: number, open: string, close: string): number | undefined {
  let depth = 0;
  for (let i = Math.min(end, src.length) - 1; i >= 0; i--) {
    if (src[i] === close) depth++;
    else if (src[i] === open) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return undefined;
}

function unresolvedAlias(doc: Document.Parsed): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (!found && !node.resolve(doc)) found = node;
    },
  });
  return found;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
