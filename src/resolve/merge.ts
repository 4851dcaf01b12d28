/**
 * Deep merge of an environment override over the base spec: mappings merge
 * key by key, lists and scalars replace, and `null` removes an inherited key.
 */
export function deepMerge<T>(base: T, override: unknown): T {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = k in out ? deepMerge(out[k], v) : stripNulls(v);
  }
  return out as T;
}

function stripNulls(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, stripNulls(x)]));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
