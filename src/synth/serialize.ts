import { stringify } from 'yaml';

const FIRST_KEYS = ['apiVersion', 'kind', 'metadata'];

/**
 * Canonical form of an object: `apiVersion`, `kind`, `metadata` first, every
 * other key sorted, recursively, so the same input always gives the same bytes.
 */
export function canonical(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, false));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => {
    if (top) {
      const ia = FIRST_KEYS.indexOf(a);
      const ib = FIRST_KEYS.indexOf(b);
      if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v, false)]));
}

/** One YAML document, canonical key order, no line folding, with an optional comment header. */
export function toYaml(value: unknown, header?: string): string {
  const body = stringify(canonical(value), { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
  return header ? `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n${body}` : body;
}

/** Pretty JSON with sorted keys and a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(canonical(value, false), null, 2)}\n`;
}
