import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from a rendered file: plain data. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** An object and the file it is in (relative to the rendered root). */
export interface PlacedObject {
  /** Identity on the cluster: API group, kind, namespace, name (the version does not matter). */
  readonly key: string;
  readonly file: string;
  readonly object: KubeObject;
}

/** The Kubernetes objects in a rendered file; none for other files (app.json, README.md) or unparsable ones. */
export function objectsInFile(file: string, content: string): PlacedObject[] {
  if (!/\.ya?ml$/.test(file)) return [];
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(content);
  } catch {
    return [];
  }
  const out: PlacedObject[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length || doc.contents === null) continue;
    const value = doc.toJS() as Partial<KubeObject> | null;
    if (!isObject(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') continue;
    if (!isObject(value.metadata) || typeof value.metadata.name !== 'string') continue;
    out.push({ key: objectKey(value as KubeObject), file, object: value as KubeObject });
  }
  return out;
}

export function objectKey(o: KubeObject): string {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  return `${group}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
}

/** `StatefulSet shop-prod/postgres`, as `diff` names objects. */
export function objectLabel(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of plain data (YAML-parsed): key order does not matter, list order does. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** One value that differs between two versions of an object: where, and what it was and is (undefined: absent). */
export interface LeafChange {
  readonly path: readonly string[];
  readonly old: unknown;
  readonly new: unknown;
}

/**
 * The values that differ between `a` and `b`, down to the leaves: mappings
 * are followed key by key; lists and scalars are compared whole (a list of
 * access modes reads better as one value than element by element).
 */
export function changedLeaves(a: unknown, b: unknown, path: readonly string[] = []): LeafChange[] {
  if (sameValue(a, b)) return [];
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedLeaves(a[k], b[k], [...path, k]));
  }
  return [{ path, old: a, new: b }];
}

/** A field path as kubectl and the API server write it: `spec.selector.matchLabels["app.kubernetes.io/name"]`. */
export function fieldName(path: readonly string[]): string {
  let out = '';
  for (const seg of path) {
    if (seg.startsWith('[')) out += seg;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

const MAX_SHOWN = 160;

/** A value for a one-line message: scalars as they are, lists and mappings as compact JSON, absent as `(none)`. */
export function showValue(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}
