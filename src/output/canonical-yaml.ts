import { Document } from 'yaml';

/**
 * A YAML writer for plain JSON-like data that produces exactly the bytes of
 * the `yaml` library's `stringify(value, {lineWidth: 0, minContentWidth: 0,
 * aliasDuplicateObjects: false})` — block style, two-space indent, sequences
 * indented under their key — without building a node tree first, which makes
 * it an order of magnitude faster on the thousands of objects a large project
 * renders.
 *
 * It only writes what it is sure of: plain objects and arrays, strings,
 * finite numbers, booleans and null, with the string styles (plain, single-
 * and double-quoted on one line, literal block) decided by the same rules as
 * the library. Anything else (control characters, multi-line quoted strings,
 * keys that need quotes, class instances, ...) throws `Unsupported`, and the
 * caller falls back to the library for that document. test/canonical-yaml
 * checks the two agree byte for byte.
 */
export class Unsupported extends Error {}

/**
 * The library's core-schema tags other than str: a plain string matching one of them would read back as another type.
 */
const NON_STRING_TAGS: readonly RegExp[] = new Document().schema.tags
  .filter((t) => t.default && t.tag !== 'tag:yaml.org,2002:str' && 'test' in t && t.test instanceof RegExp)
  .map((t) => {
    const test = (t as { test: RegExp }).test;
    return new RegExp(test.source, test.flags.replace('g', ''));
  });

// The rules below are those of yaml/dist/stringify/stringifyString.js (plainString, quotedString, blockString).
/** Characters that force double quotes (control characters, unpaired surrogates). */
const FORCE_DOUBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** What a plain scalar cannot start with, contain or end with. */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;
const STEP = '  ';
/**
 * Most strings of a manifest (names, labels, paths, images): they start with
 * a letter, "_" or "/", hold no space, quote, "#" or line break, and have no
 * ":" at the end or before a space. Such a string is plain unless it is a
 * boolean or null word (numbers start with a digit, sign or ".").
 */
const SIMPLE = /^[A-Za-z_/][\w./-]*(?::[\w./-]+)*$/;
const BOOLEAN_OR_NULL = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL']);
/** Keys longer than this become explicit (`? key`) in the library's output. */
const MAX_IMPLICIT_KEY = 1024;

/**
 * One YAML document for `value`, with the keys of every mapping in the order
 * `order` gives (it is called once per mapping with its keys, and the depth:
 * 0 for the top level).
 */
export function writeYamlDocument(value: unknown, order: (keys: string[], depth: number) => string[]): string {
  if (!isPlainObject(value)) throw new Unsupported('top level is not a mapping');
  return `${writeMap(value, '', 0, order)}\n`;
}

function writeMap(
  obj: Record<string, unknown>,
  indent: string,
  depth: number,
  order: (keys: string[], depth: number) => string[],
): string {
  const keys = order(
    Object.keys(obj).filter((k) => obj[k] !== undefined),
    depth,
  );
  if (keys.length === 0) return '{}';
  const inner = indent + STEP;
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = obj[k];
    let line = `${key(k)}:`;
    if (Array.isArray(v)) line += v.length ? `\n${inner}${writeSeq(v, inner, depth + 1, order)}` : ' []';
    else if (v !== null && typeof v === 'object') {
      if (!isPlainObject(v)) throw new Unsupported('not a plain object');
      const nested = writeMap(v, inner, depth + 1, order);
      line += nested === '{}' ? ' {}' : `\n${inner}${nested}`;
    } else line += ` ${scalar(v, inner)}`;
    out += i === 0 ? line : `\n${indent}${line}`;
  }
  return out;
}

function writeSeq(
  items: readonly unknown[],
  indent: string,
  depth: number,
  order: (keys: string[], depth: number) => string[],
): string {
  const inner = indent + STEP;
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    let line: string;
    if (Array.isArray(v)) line = v.length ? `- ${writeSeq(v, inner, depth + 1, order)}` : '- []';
    else if (v !== null && typeof v === 'object') {
      if (!isPlainObject(v)) throw new Unsupported('not a plain object');
      line = `- ${writeMap(v, inner, depth + 1, order)}`;
    } else line = `- ${scalar(v, inner)}`;
    out += i === 0 ? line : `\n${indent}${line}`;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A mapping key: only keys the library writes plain and on one line. */
function key(k: string): string {
  if (SIMPLE.test(k) && !BOOLEAN_OR_NULL.has(k) && k.length <= MAX_IMPLICIT_KEY) return k;
  if (
    k.length > MAX_IMPLICIT_KEY ||
    k.includes('\n') ||
    FORCE_DOUBLE.test(k) ||
    NOT_PLAIN.test(k) ||
    DOCUMENT_MARKER.test(k) ||
    readsAsOtherType(k)
  ) {
    throw new Unsupported('key needs quotes');
  }
  return k;
}

/** A scalar as the value of a mapping entry or a sequence item whose content is indented by `indent`. */
function scalar(v: unknown, indent: string): string {
  switch (typeof v) {
    case 'string':
      return string(v, indent);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) throw new Unsupported('not a safe integer');
      return String(v);
    default:
      if (v === null) return 'null';
      throw new Unsupported(`a ${typeof v} value`);
  }
}

function readsAsOtherType(s: string): boolean {
  for (const re of NON_STRING_TAGS) if (re.test(s)) return true;
  return false;
}

function string(value: string, indent: string): string {
  if (SIMPLE.test(value)) return BOOLEAN_OR_NULL.has(value) ? JSON.stringify(value) : value;
  if (FORCE_DOUBLE.test(value)) throw new Unsupported('control characters');
  const multiLine = value.includes('\n');
  if (NOT_PLAIN.test(value)) return multiLine ? blockString(value, indent) : quoted(value);
  if (multiLine) return blockString(value, indent);
  return readsAsOtherType(value) ? quoted(value) : value;
}

/** A one-line quoted string: single quotes when it holds only double quotes, else JSON's double quotes. */
function quoted(value: string): string {
  const hasDouble = value.includes('"');
  const hasSingle = value.includes("'");
  if (hasDouble && !hasSingle) return `'${value}'`;
  // Without control characters and newlines, JSON's escapes (\" \\ \t) are YAML's.
  return JSON.stringify(value);
}

/** A literal block scalar (`|`, `|-`, `|+`, with an indentation indicator when it starts with a space). */
function blockString(input: string, indent: string): string {
  // A block cannot end in whitespace after its last line break: the library quotes those over several lines.
  if (/\n[\t ]+$/.test(input)) throw new Unsupported('multi-line quoted string');
  let value = input;
  let endStart: number;
  for (endStart = value.length; endStart > 0; --endStart) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  let chomp: string;
  if (endNlPos === -1) chomp = '-';
  else if (value === end || endNlPos !== end.length - 1) chomp = '+';
  else chomp = '';
  if (end) {
    value = value.slice(0, -end.length);
    if (end[end.length - 1] === '\n') end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd: number;
  let startNlPos = -1;
  for (startEnd = 0; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? '2' : '') + chomp;
  value = value.replace(/\n+/g, `$&${indent}`);
  return `|${header}\n${indent}${start}${value}${end}`;
}
