import { relative } from 'node:path';
import {
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  Lexer,
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
  // yaml's own check for duplicate keys compares every pair of keys of a mapping (20,000 keys: 7 s); ' +
  ('duplicateKeys is linear.');
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, strict: true });
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
    // Nesting is checked before parsing: the parser recurses, and a few thousand levels exhaust the stack or memory.
    const deep = tooDeepAt(src);
    if (deep !== undefined) {
      const pos = linePosition(src, deep);
      const message =
        `this value is nested more than ${MAX_NESTING} levels deep; expected a spec nested at most ` +
        `${MAX_NESTING} levels (the deepest spec field is about 6 levels down)`;
      // The tree of an empty text stands in, so that nothing ever parses this text.
      return {
        source: new SourceFile(file, src, parseText('')),
        problems: [{ file, ...pos, field: '', message: `YAML syntax error: ${message}` }],
      };
    }
    const parsed = parseText(src);
    const { doc, lines } = parsed;
    const problems: SpecProblem[] = [];
    // One mistake often makes the parser report twice at one place: once is enough.
    for (const e of doc.errors) {
      const { at, message } = syntaxError(e, src);
      const pos = lines.linePos(at);
      if (!problems.some((p) => p.line === pos.line && p.column === pos.col))
        problems.push({ file, line: pos.line, column: pos.col, field: '', message: `YAML syntax error: ${message}` });
    }
    if (problems.length === 0)
      for (const at of duplicateKeys(doc)) {
        const pos = lines.linePos(at);
        const { message } = syntaxError({ code: 'DUPLICATE_KEY', pos: [at, at], message: '' } as YAMLError, src);
        problems.push({ file, line: pos.line, column: pos.col, field: '', message: `YAML syntax error: ${message}` });
      }
    if (problems.length === 0)
      for (const { at, message } of outsideCoreSchema(doc, src)) {
        const pos = lines.linePos(at);
        problems.push({ file, line: pos.line, column: pos.col, field: '', message });
      }
    let data: unknown;
    if (problems.length === 0) {
      // Aliases are resolved only when converting: an unknown or runaway alias is a problem too, not a crash.
      try {
        data = toData(doc);
      } catch (err) {
        const alias = unresolvedAlias(doc);
        const pos = lines.linePos(alias?.range?.[0] ?? firstAlias(doc)?.range?.[0] ?? 0);
        const message = alias
          ? `the alias *${alias.source} has no anchor &${alias.source} above it; ` +
            'expected an alias of an anchor defined earlier in the file'
          : /alias count/i.test(String(err))
            ? `the aliases of this file expand to more than ${MAX_ALIAS_COUNT} times the values written (an alias ` +
              `bomb); expected each anchor used a few times, or the values written out`
            : `${err instanceof Error ? firstLine(err.message) : String(err)}; expected plain YAML data`;
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

  /**
   * A problem with a piece of the value at `path`, located at
   * that piece (see locateInValue); the field is still `path`.
   */
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

/** How many times the values written an alias may expand to (yaml's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

function toData(doc: Document.Parsed): unknown {
  return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
}

/** How deep a spec may nest mappings and lists; the deepest field of a spec is about 6 levels down. */
export const MAX_NESTING = 32;

/**
 * The offset where `src` nests mappings and lists more than MAX_NESTING
 * levels deep, or undefined. Counted on the tokens of yaml's lexer, which
 * does not recurse: flow collections by their brackets, block collections by
 * the columns of their keys and `-` indicators (an approximation that can
 * only count a level too few, never one too many).
 */
function tooDeepAt(src: string): number | undefined {
  let offset = 0;
  let column = 0;
  let lineStart = true;
  let flow = 0;
  const block: number[] = [];
  for (const token of new Lexer().lex(src)) {
    // The lexer's own markers (document, scalar, flow end) are not in the text.
    if (token === '\x02' || token === '\x1f' || token === '\x18') continue;
    const start = offset;
    offset += token.length;
    const newline = token.lastIndexOf('\n');
    if (newline >= 0) {
      column = token.length - newline - 1;
      lineStart = newline === token.length - 1;
      continue;
    }
    if (/^[ \t]*$/.test(token) || token.startsWith('#')) {
      column += token.length;
      continue;
    }
    if (flow === 0 && (lineStart || token === '-' || token === '?')) {
      while (block.length && block[block.length - 1]! > column) block.pop();
      if (!block.length || block[block.length - 1]! < column) block.push(column);
    }
    if (token === '[' || token === '{') flow++;
    else if ((token === ']' || token === '}') && flow > 0) flow--;
    if (block.length + flow > MAX_NESTING) return start;
    column += token.length;
    lineStart = false;
  }
  return undefined;
}

function linePosition(src: string, offset: number): { line: number; column: number } {
  const before = src.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The tags of YAML 1.2's core schema, which every YAML library reads the same way. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/**
 * What a spec may not hold although YAML allows it: a `%YAML` version other
 * than 1.2 (1.1 reads yes/no/on/off as booleans) and explicit tags outside
 * the core schema (`!!binary`, `!!python/...`, local `!tags`), which other
 * tools would read differently or not at all. Also any warning of the parser.
 */
function outsideCoreSchema(doc: Document.Parsed, src: string): { at: number; message: string }[] {
  const out: { at: number; message: string }[] = [];
  const version = doc.directives?.yaml;
  if (version?.explicit && version.version !== '1.2')
    out.push({
      at: Math.max(0, src.indexOf('%YAML')),
      message:
        `the %YAML ${version.version} directive asks for another YAML version, in which yes, no, on and off ` +
        `are booleans; expected YAML 1.2: remove the directive`,
    });
  visit(doc, (_key, node) => {
    if (!isNode(node) || node.tag === undefined || CORE_TAGS.has(node.tag)) return;
    const start = node.range?.[0] ?? 0;
    let written = src.lastIndexOf('!', start);
    while (written > 0 && src[written - 1] === '!') written--;
    const tag = node.tag.startsWith('tag:yaml.org,2002:')
      ? `!!${node.tag.slice('tag:yaml.org,2002:'.length)}`
      : node.tag;
    out.push({
      at: written >= 0 && !src.slice(written, start).includes('\n') ? written : start,
      message:
        `the tag ${tag.length > 60 ? `${tag.slice(0, 57)}...` : tag} is not part of YAML's core schema, so ` +
        `its value would be read differently by other tools; expected a plain value (string, number, ` +
        `true/false, null, mapping or list) without a tag`,
    });
  });
  for (const w of doc.warnings)
    if (w.code !== 'TAG_RESOLVE_FAILED')
      out.push({ at: w.pos[0], message: `YAML: ${firstLine(w.message)}; expected plain YAML 1.2` });
  return out;
}

/** Where a mapping repeats a key written before in it (scalar keys, compared by value, as YAML does). */
function duplicateKeys(doc: Document.Parsed): number[] {
  const out: number[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const item of map.items) {
        if (!isScalar(item.key)) continue;
        const value = item.key.value;
        if (seen.has(value)) out.push(item.key.range?.[0] ?? 0);
        else seen.add(value);
      }
    },
  });
  return out;
}

function firstAlias(doc: Document.Parsed): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      found ??= node;
      return visit.BREAK;
    },
  });
  return found;
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
    case 'MULTILINE_IMPLICIT_KEY': {
      const indented = overIndented(src, at);
      if (indented) return indented;
      return {
        at,
        message: 'this value holds ": " or ends with ":", which starts a nested mapping; expected the value in quotes',
      };
    }
    case 'MULTIPLE_DOCS':
      return { at, message: 'the file holds more than one YAML document (---); expected one document per file' };
    default:
      break;
  }
  if (text.startsWith('All sequence items must start at the same column')) {
    return {
      at,
      message: 'this list item is not aligned with the items above it; expected every "-" of a list at the same column',
    };
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
        message:
          `this ${open} is not closed; expected a closing ${close} (a flow collection that goes on over ` +
          'several lines must be indented more than its key)',
      };
  }
  const quote = /^Missing closing (["'])quote/.exec(text);
  if (quote) {
    const opened = src.lastIndexOf(quote[1]!, at);
    if (opened >= 0) return { at: opened, message: `this quoted string is not closed; expected a closing ${quote[1]}` };
  }
  return { at, message: text };
}

/**
 * A key indented further than the key above it whose value is on its own
 * line (`repository: x` then `   tag: y`): YAML reads the indented line as
 * the rest of that value, then finds a ":" in it. Said as what it is, an
 * indentation mistake, at the indented key. Undefined when the value at `at`
 * does not go on to such a line.
 */
function overIndented(src: string, at: number): { at: number; message: string } | undefined {
  const lineStart = src.lastIndexOf('\n', at - 1) + 1;
  const keyIndent = /^ */.exec(src.slice(lineStart))![0].length;
  const newline = src.indexOf('\n', at);
  if (newline < 0) return undefined;
  const next = /^( *)([^\s#][^\n]*)/.exec(src.slice(newline + 1));
  if (!next || next[1]!.length <= keyIndent || !/^[^:\n]+:( |$)/.test(next[2]!)) return undefined;
  return {
    at: newline + 1 + next[1]!.length,
    message:
      `this key is indented ${next[1]!.length} spaces, more than the key on the line above (${keyIndent}), ` +
      `which already has a value; expected it at ${keyIndent} spaces, beside that key (or that key's value ` +
      `moved to its own lines below it)`,
  };
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
