import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadProject } from '../src/spec/load.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { Unsupported, writeYamlDocument } from '../src/output/canonical-yaml.js';
import { DEFAULT_RENDERERS } from '../src/pipeline/pipeline.js';
import { canonical, canonicalYaml, toYaml } from '../src/output/serialize.js';
import { seededRandom } from '../bench/stack.js';
import { copyExample } from './helpers.js';

/** What toYaml wrote before it had its own writer; the writer must give the same bytes. */
const library = (value: unknown): string =>
  stringify(canonical(value), { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });

/** The writer on its own (no fallback), in canonical key order; undefined where it declines. */
function written(value: unknown): string | undefined {
  const first = ['apiVersion', 'kind', 'metadata'];
  const rank = (k: string) => (first.includes(k) ? first.indexOf(k) : 99);
  try {
    return writeYamlDocument(value, (keys, depth) =>
      depth === 0 ? keys.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)) : keys.sort(),
    );
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

/** Pieces of strings that trip YAML writers: indicators, quotes, numbers, booleans, line breaks, unicode. */
const PIECES = [
  'a',
  'Z',
  '0',
  '7',
  ' ',
  '  ',
  '\n',
  '\n\n',
  '\t',
  ':',
  ': ',
  '#',
  ' #',
  '-',
  '- ',
  '?',
  ',',
  '[',
  ']',
  '{',
  '}',
  '&',
  '*',
  '!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
  '.',
  '...',
  '---',
  '\\',
  'true',
  'False',
  'null',
  '~',
  '0x1F',
  '0o7',
  '1e3',
  '.inf',
  '-1',
  '+1',
  '1.5',
  'é',
  '€',
  '😀',
  '\u00a0',
  '\r',
  '\x00',
  '$(X)',
  '${service:db}',
  'http://x:80/y',
  'a:b',
  '/p',
  'app.kubernetes.io/name',
  '<<',
];
const KEYS = ['a', 'name', 'app.kubernetes.io/name', 'k_1', 'A-b', 'x:y', '_z', '/path'];
/** What the writer leaves to the library: control characters, keys that need quotes, non-integers. */
const DECLINED_PIECES = ['\r', '\x00', '\x1b'];
const DECLINED_KEYS = ['true', '42', 'a b', '', '- x'];

/** Random manifests; with `declined`, also what the writer leaves to the library. */
function documents(count: number, seed: number, declined: boolean): Record<string, unknown>[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const pieces = declined ? [...PIECES, ...DECLINED_PIECES] : PIECES;
  const keys = declined ? [...KEYS, ...DECLINED_KEYS] : KEYS;
  const str = (): string => Array.from({ length: Math.floor(random() * 6) }, () => pick(pieces)).join('');
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 3 || r < 0.5) {
      const t = random();
      return t < 0.75
        ? str()
        : t < 0.85
          ? Math.floor(random() * 2000) - 1000
          : t < 0.9
            ? random() < 0.5
            : t < 0.95 || !declined
              ? null
              : 2.5;
    }
    if (r < 0.75)
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(keys), value(depth + 1)]));
    return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
  };
  return Array.from({ length: count }, () => ({
    kind: 'Thing',
    apiVersion: 'v1',
    metadata: { name: 'x' },
    ...Object.fromEntries(Array.from({ length: 3 }, () => [pick(KEYS), value(0)])),
  }));
}

describe('the YAML writer', () => {
  it('writes the same bytes as the yaml library for generated documents full of awkward strings', () => {
    let own = 0;
    const docs = [...documents(2000, 7, false), ...documents(1000, 8, true)];
    for (const doc of docs) {
      const mine = written(doc);
      if (mine !== undefined) {
        own++;
        expect(mine, JSON.stringify(doc)).toBe(library(doc));
      }
      expect(canonicalYaml(doc)).toBe(library(doc));
    }
    // Most documents must take the writer's own path, or the comparison proves little.
    expect(own).toBeGreaterThan(1500);
  });

  it('writes every file of the example itself, byte for byte as the yaml library would', async () => {
    const project = loadProject(copyExample());
    const ctx = { project, resolved: resolveProject(project) };
    let files = 0;
    for (const out of await Promise.all(DEFAULT_RENDERERS.map((render) => render(ctx)))) {
      for (const { object } of out.objects) {
        expect(written(object), `${object.kind} ${object.metadata.name}`).toBe(library(object));
        files++;
      }
      for (const [path, content] of out.tree.entries()) {
        if (!path.endsWith('.yaml')) continue;
        const body = content.replace(/^(#.*\n)+/, '');
        expect(written(parse(body)), path).toBe(body);
      }
    }
    expect(files).toBeGreaterThan(50);
  });

  it('leaves what it does not write itself to the yaml library, with the same result', () => {
    const awkward = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { bell: 'ring\x07', crlf: 'a\r\nb' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'trailing-space-line': 'a\nb\n  ' } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        data: { 'needs quotes: key': 'x', true: 'y', '10': 'ten', '9': 'nine' },
      },
      {
        apiVersion: 'v1',
        kind: 'Thing',
        metadata: { name: 't' },
        spec: { ratio: 0.25, big: 2 ** 60, list: [1, undefined, 3] },
      },
      [{ a: 1 }, 'top-level list'],
      { kind: 'Thing', spec: { when: new Date(0), nested: [[1, 2], []] } },
    ];
    for (const value of awkward) {
      expect(canonicalYaml(value)).toBe(library(value));
      expect(toYaml(value, 'a header\nof two lines')).toBe(`# a header\n# of two lines\n${library(value)}`);
    }
    expect(written(awkward[0])).toBeUndefined();
  });
});
