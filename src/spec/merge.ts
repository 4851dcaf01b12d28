/**
 * Deep merge of an environment override over the base spec: mappings merge
 * key by key, lists and scalars replace, and `null` removes an inherited key.
 * A mapping for which `replacesWhole(path, override)` holds replaces the base
 * value instead of merging into it.
 */
export function deepMerge<T>(
  base: T,
  override: unknown,
  replacesWhole: WholeValueRule = probeKindChange,
  path = '',
): T {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override) || replacesWhole(path, override))
    return stripNulls(override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const at = path ? `${path}.${k}` : k;
    if (v === null) delete out[k];
    // Own keys only, set as own properties: `__proto__` and `constructor` are valid variable names.
    else if (v !== undefined)
      setOwn(out, k, Object.hasOwn(out, k) ? deepMerge(out[k], v, replacesWhole, at) : stripNulls(v));
  }
  return out as T;
}

export type WholeValueRule = (path: string, override: Record<string, unknown>) => boolean;

/**
 * A probe is one kind (http, tcp or exec): an override that names a kind
 * replaces the inherited probe; one that only changes timing merges into it.
 */
export const probeKindChange: WholeValueRule = (path, override) =>
  /^probes\.(readiness|liveness|startup)$/.test(path) &&
  ['http', 'tcp', 'exec'].some((k) => override[k] !== undefined && override[k] !== null);

function stripNulls(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, stripNulls(x)]),
  );
}

/** `o[key] = value` as an own property, even for `__proto__` (whose assignment would set the prototype). */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
