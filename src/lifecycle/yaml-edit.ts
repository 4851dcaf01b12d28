import { isDeepStrictEqual } from 'node:util';
import { isMap, isPair, isScalar, parseDocument, stringify, type Document, type Pair, type YAMLMap } from 'yaml';

/**
 * Edits of a spec file that keep every byte they do not need to change.
 *
 * The `yaml` library's Document API says what an edit means (setIn/deleteIn)
 * and where each node is (its source range), but printing a Document
 * re-formats the whole file (flow padding, spacing before comments). So an
 * edit is applied as a splice of the lines it concerns, located by the
 * Document's node ranges, and checked against the same edit made with the
 * Document API: when the two do not read back as the same data (a layout the
 * splice does not handle), the Document API's output is used instead, which
 * keeps comments and key order but may re-space the file.
 */

export type YamlPath = readonly (string | number)[];
type Scalar = string | number | boolean;

export interface SetOptions {
  /**
   * When the key is new, insert it before this sibling key (and the comment
   * lines right above it) instead of after the mapping's last entry.
   */
  readonly before?: string;
}

/** `text` with the scalar at `path` set to `value`; mappings on the way are created as needed. */
export function setScalar(text: string, path: YamlPath, value: Scalar, options: SetOptions = {}): string {
  if (path.length === 0) throw new Error('setScalar: empty path');
  const doc = parse(text);
  const intended = parse(text);
  intended.setIn(path, value);
  return checked(spliceSet(text, doc, path, value, options), intended);
}

/**
 * `text` without the entry at `path`. Mappings the removal leaves empty
 * are removed with it, up to (not including) the top level, so that removing
 * what `setScalar` created gives back the text from before. Unchanged when
 * there is no such entry.
 */
export function deleteEntry(text: string, path: YamlPath): string {
  const doc = parse(text);
  const target = removalTarget(doc, path);
  if (!target) return text;
  const intended = parse(text);
  intended.deleteIn(target.path);
  return checked(spliceDelete(text, target.map, target.pair), intended);
}

function parse(text: string): Document.Parsed {
  return parseDocument(text, { keepSourceTokens: false });
}

/** The spliced text when it means exactly what the Document API edit means; otherwise the Document's own output. */
function checked(spliced: string | undefined, intended: Document): string {
  if (spliced !== undefined) {
    const back = parse(spliced);
    if (back.errors.length === 0 && isDeepStrictEqual(back.toJS(), intended.toJS())) return spliced;
  }
  return intended.toString();
}

function spliceSet(
  text: string,
  doc: Document.Parsed,
  path: YamlPath,
  value: Scalar,
  options: SetOptions,
): string | undefined {
  let map: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    if (!isMap(map) || !map.range) return undefined;
    const pair = findPair(map, path[i]!);
    if (!pair) return insertInto(text, doc, map, path.slice(i), value, i === path.length - 1 ? options : {});
    if (i === path.length - 1) {
      if (!isScalar(pair.value) || !pair.value.range) return undefined;
      const [start, end] = pair.value.range;
      return text.slice(0, start) + scalarText(value) + text.slice(end);
    }
    map = pair.value;
  }
  return undefined;
}

/** Inserts `rest[0]: {rest[1]: ... value}` into `map`, in the map's own style. */
function insertInto(
  text: string,
  doc: Document.Parsed,
  map: YAMLMap,
  rest: YamlPath,
  value: Scalar,
  options: SetOptions,
): string | undefined {
  if (rest.some((k) => typeof k !== 'string')) return undefined;
  const keys = rest as string[];
  if (map.flow) {
    const nested = keys.slice(1).reduceRight<string>((inner, k) => `{${keyText(k)}: ${inner}}`, scalarText(value));
    const entry = `${keyText(keys[0]!)}: ${nested}`;
    const last = map.items[map.items.length - 1];
    if (!last) {
      const close = text.lastIndexOf('}', map.range![1]);
      return close < 0 ? undefined : `${text.slice(0, close)}${entry}${text.slice(close)}`;
    }
    const end = nodeEnd(last);
    return end === undefined ? undefined : `${text.slice(0, end)}, ${entry}${text.slice(end)}`;
  }
  const first = map.items[0];
  if (!first || !isScalar(first.key) || !first.key.range) return undefined;
  const indent = columnOf(text, first.key.range[0]);
  if (!onlySpaceBefore(text, first.key.range[0])) return undefined;
  const unit = indentUnit(text, doc);
  const lines = keys.map(
    (k, i) => `${' '.repeat(indent + i * unit)}${keyText(k)}:${i === keys.length - 1 ? ` ${scalarText(value)}` : ''}`,
  );
  const block = `${lines.join('\n')}\n`;

  const before = options.before !== undefined ? findPair(map, options.before) : undefined;
  if (before && isScalar(before.key) && before.key.range && onlySpaceBefore(text, before.key.range[0])) {
    const at = commentsAbove(text, lineStart(text, before.key.range[0]));
    return text.slice(0, at) + block + text.slice(at);
  }
  const last = map.items[map.items.length - 1]!;
  const end = nodeEnd(last);
  if (end === undefined) return undefined;
  const at = afterLine(text, end);
  const prefix = at === text.length && !text.endsWith('\n') ? `${text}\n` : text.slice(0, at);
  return prefix + block + text.slice(at);
}

interface RemovalTarget {
  readonly path: YamlPath;
  readonly map: YAMLMap;
  readonly pair: Pair;
}

/**
 * The entry to remove for `path`: the entry itself, or the
 * outermost mapping (below the top level) left holding only it.
 */
function removalTarget(doc: Document.Parsed, path: YamlPath): RemovalTarget | undefined {
  const chain: { map: YAMLMap; pair: Pair }[] = [];
  let node: unknown = doc.contents;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    const pair = findPair(node, key);
    if (!pair) return undefined;
    chain.push({ map: node, pair });
    node = pair.value;
  }
  let depth = chain.length - 1;
  while (depth > 0 && chain[depth]!.map.items.length === 1) depth--;
  return { path: path.slice(0, depth + 1), map: chain[depth]!.map, pair: chain[depth]!.pair };
}

function spliceDelete(text: string, map: YAMLMap, pair: Pair): string | undefined {
  if (!isScalar(pair.key) || !pair.key.range) return undefined;
  const keyStart = pair.key.range[0];
  const end = nodeEnd(pair);
  if (end === undefined) return undefined;
  if (!map.flow) {
    if (!onlySpaceBefore(text, keyStart)) return undefined;
    return text.slice(0, lineStart(text, keyStart)) + text.slice(afterLine(text, end));
  }
  const index = map.items.indexOf(pair);
  const next = map.items[index + 1];
  if (next && isScalar(next.key) && next.key.range) return text.slice(0, keyStart) + text.slice(next.key.range[0]);
  const previous = map.items[index - 1];
  if (previous) {
    const prevEnd = nodeEnd(previous);
    return prevEnd === undefined ? undefined : text.slice(0, prevEnd) + text.slice(end);
  }
  return text.slice(0, keyStart) + text.slice(end);
}

function findPair(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find((p): p is Pair => isPair(p) && isScalar(p.key) && p.key.value === key);
}

/** Where a pair's value ends in the text (the key's end for an empty value). */
function nodeEnd(pair: Pair): number | undefined {
  const value = pair.value as { range?: [number, number, number] } | null;
  if (value?.range) return value.range[1];
  const key = pair.key as { range?: [number, number, number] } | null;
  return key?.range?.[1];
}

function scalarText(value: Scalar): string {
  return stringify(value).trimEnd();
}

function keyText(key: string): string {
  return stringify(key).trimEnd();
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function onlySpaceBefore(text: string, offset: number): boolean {
  return /^ *$/.test(text.slice(lineStart(text, offset), offset));
}

/** The offset after the line holding the last non-space character before `end` (past its trailing comment). */
function afterLine(text: string, end: number): number {
  let last = end - 1;
  while (last >= 0 && /\s/.test(text[last]!)) last--;
  const newline = text.indexOf('\n', Math.max(last, 0));
  return newline < 0 ? text.length : newline + 1;
}

/** Moves a line offset up over the comment lines directly above it (they describe the line). */
function commentsAbove(text: string, at: number): number {
  let start = at;
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    if (!/^ *#/.test(text.slice(prev, start - 1))) break;
    start = prev;
  }
  return start;
}

/** The file's indentation step: the first nested block mapping's indentation relative to its key. */
function indentUnit(text: string, doc: Document.Parsed): number {
  const visit = (map: unknown): number | undefined => {
    if (!isMap(map) || map.flow) return undefined;
    for (const pair of map.items) {
      const child = pair.value;
      if (isMap(child) && !child.flow && isScalar(pair.key) && pair.key.range) {
        const first = child.items[0];
        if (first && isScalar(first.key) && first.key.range) {
          const step = columnOf(text, first.key.range[0]) - columnOf(text, pair.key.range[0]);
          if (step > 0) return step;
        }
      }
      const deeper = visit(child);
      if (deeper) return deeper;
    }
    return undefined;
  };
  return visit(doc.contents) ?? 2;
}

/**
 * The comment that describes the entry at `path`: at the end of its line
 * (for an entry of a flow mapping, the line the outermost flow collection
 * ends on), or else the comment lines directly above its key. Undefined when
 * there is none or no such entry.
 */
export function entryComment(text: string, path: YamlPath): string | undefined {
  const found = locate(parse(text), path);
  if (!found) return undefined;
  const { pair, flow, map } = found;
  const value = pair.value as { comment?: string | null } | null;
  const trailing = flow ? flow.comment : value?.comment;
  // Lines above the first entry of a block mapping belong to the mapping itself.
  const above =
    (pair.key as { commentBefore?: string | null } | null)?.commentBefore ??
    (!flow && map.items[0] === pair ? map.commentBefore : undefined);
  const comment = trailing ?? above;
  return comment ? comment.trim() : undefined;
}

/**
 * `text` with `comment` at the end of the line of the entry at `path`
 * (replacing a comment already there), or undefined when the layout does
 * not allow it (the caller then leaves the comment out and says so).
 */
export function setEntryComment(text: string, path: YamlPath, comment: string): string | undefined {
  const doc = parse(text);
  const found = locate(doc, path);
  if (!found || /[\r\n]/.test(comment)) return undefined;
  const end = found.flow ? found.flow.range?.[1] : nodeEnd(found.pair);
  if (end === undefined) return undefined;
  // The rest of the line after the entry (or its flow collection) holds only spaces and a comment.
  const newline = text.indexOf('\n', end);
  const lineEnd = newline < 0 ? text.length : newline;
  if (!/^[ \t]*(#.*)?$/.test(text.slice(end, lineEnd))) return undefined;
  const out = `${text.slice(0, end)}  # ${comment}${text.slice(lineEnd)}`;
  const back = parse(out);
  if (back.errors.length || !isDeepStrictEqual(back.toJS(), doc.toJS())) return undefined;
  return entryComment(out, path) === comment ? out : undefined;
}

/**
 * `text` without the comment `entryComment` reads for `path` when it is at
 * the end of the entry's line and `matches` it; unchanged otherwise.
 */
export function removeTrailingComment(text: string, path: YamlPath, matches: (comment: string) => boolean): string {
  const doc = parse(text);
  const found = locate(doc, path);
  if (!found) return text;
  const end = found.flow ? found.flow.range?.[1] : nodeEnd(found.pair);
  if (end === undefined) return text;
  const newline = text.indexOf('\n', end);
  const lineEnd = newline < 0 ? text.length : newline;
  const rest = /^[ \t]*#(.*)$/.exec(text.slice(end, lineEnd));
  if (!rest || !matches(rest[1]!.trim())) return text;
  const out = text.slice(0, end) + text.slice(lineEnd);
  const back = parse(out);
  return back.errors.length || !isDeepStrictEqual(back.toJS(), doc.toJS()) ? text : out;
}

/** Whether the text has an entry at `path` (a key in mappings all the way). */
export function hasEntry(text: string, path: YamlPath): boolean {
  return locate(parse(text), path) !== undefined;
}

/** The pair at `path`, the mapping holding it, and the outermost flow collection on the way to it, if any. */
function locate(doc: Document.Parsed, path: YamlPath): { pair: Pair; map: YAMLMap; flow?: YAMLMap } | undefined {
  let node: unknown = doc.contents;
  let flow: YAMLMap | undefined;
  let found: { pair: Pair; map: YAMLMap } | undefined;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    if (node.flow && !flow) flow = node;
    const pair = findPair(node, key);
    if (!pair) return undefined;
    found = { pair, map: node };
    node = pair.value;
  }
  return found ? { ...found, flow } : undefined;
}
