import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ChangeStatus } from '../publish/plan.js';

/** One object of a rendered file: a Kubernetes object, or the file itself when it holds none (app.json). */
export interface FileObject {
  /** Identity: apiVersion, kind, namespace and name; the file path for non-objects. */
  readonly key: string;
  /** For people: `Deployment api`, `Kustomization (kustomization.yaml)`, `app.json`. */
  readonly label: string;
  /** The object's text, to tell changed from unchanged. */
  readonly text: string;
}

/** The objects in a rendered file, in file order. */
export function objectsOf(path: string, content: string): FileObject[] {
  const file = posix.basename(path);
  if (!/\.ya?ml$/.test(path)) return [{ key: path, label: file, text: content }];
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(content);
  } catch {
    return [{ key: path, label: file, text: content }];
  }
  const list = Array.isArray(docs) ? docs : [docs];
  const out: FileObject[] = [];
  list.forEach((doc, i) => {
    if (doc.contents === null) return;
    const value = (doc.errors.length ? undefined : doc.toJS()) as
      | { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }
      | undefined;
    const kind = typeof value?.kind === 'string' ? value.kind : undefined;
    const name = typeof value?.metadata?.name === 'string' ? value.metadata.name : undefined;
    const namespace = typeof value?.metadata?.namespace === 'string' ? value.metadata.namespace : undefined;
    const text = doc.toString();
    if (kind && name)
      out.push({
        key: `${String(value?.apiVersion)}|${kind}|${namespace ?? ''}|${name}`,
        label: `${kind} ${namespace ? `${namespace}/` : ''}${name}`,
        text,
      });
    else out.push({ key: `${path}#${i}`, label: kind ? `${kind} (${file})` : file, text });
  });
  return out.length ? out : [{ key: path, label: file, text: content }];
}

/** How the objects of a file differ between two versions of it (either may be absent). */
export function compareObjects(
  path: string,
  before: string | undefined,
  after: string | undefined,
): { label: string; status: ChangeStatus }[] {
  const old = new Map((before === undefined ? [] : objectsOf(path, before)).map((o) => [o.key, o]));
  const now = new Map((after === undefined ? [] : objectsOf(path, after)).map((o) => [o.key, o]));
  const out: { label: string; status: ChangeStatus }[] = [];
  for (const [key, o] of now) {
    const was = old.get(key);
    if (!was) out.push({ label: o.label, status: 'added' });
    else if (was.text !== o.text) out.push({ label: o.label, status: 'changed' });
  }
  for (const [key, o] of old) if (!now.has(key)) out.push({ label: o.label, status: 'removed' });
  // The file differs though no object does (comments, formatting): report the file.
  if (out.length === 0 && before !== after)
    out.push({
      label: posix.basename(path),
      status: before === undefined ? 'added' : after === undefined ? 'removed' : 'changed',
    });
  return out;
}
