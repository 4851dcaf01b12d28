import { stringify } from 'yaml';
import { Unsupported, writeYamlDocument } from './canonical-yaml.js';
import { codeUnitOrder } from '../util/order.js';

const FIRST_KEYS = ['apiVersion', 'kind', 'metadata'];

/**
 * Canonical form of an object: `apiVersion`, `kind`, `metadata` first, every
 * other key sorted, recursively, so the same input always gives the same bytes.
 */
export function canonical(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, false));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (top ? topLevelOrder(a, b) : codeUnitOrder(a, b)));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v, false)]));
}

function topLevelOrder(a: string, b: string): number {
  const ia = FIRST_KEYS.indexOf(a);
  const ib = FIRST_KEYS.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
  return codeUnitOrder(a, b);
}

/** Canonical key order for the YAML writer: the same order `canonical` gives. */
const canonicalKeyOrder = (keys: string[], depth: number): string[] =>
  depth === 0 ? keys.sort(topLevelOrder) : keys.sort(codeUnitOrder);

const YAML_OPTIONS = { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false } as const;

/** One YAML document, canonical key order, no line folding, with an optional comment header. */
export function toYaml(value: unknown, header?: string): string {
  const body = canonicalYaml(value);
  return header
    ? `${header
        .split('\n')
        .map((l) => `# ${l}`.trimEnd())
        .join('\n')}\n${body}`
    : body;
}

/** Pretty JSON with sorted keys and a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(canonical(value, false), null, 2)}\n`;
}

/**
 * The YAML of `canonical(value)`: written directly when the data is plain (the
 * rendered objects always are), through the yaml library otherwise. Both give
 * the same bytes.
 */
export function canonicalYaml(value: unknown): string {
  try {
    return writeYamlDocument(value, canonicalKeyOrder);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    return stringify(canonical(value), YAML_OPTIONS);
  }
}
