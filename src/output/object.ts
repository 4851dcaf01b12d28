/** A rendered Kubernetes object with the file it goes to. */
export interface RenderedObject {
  readonly file: string;
  readonly object: Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  };
}

/** One object per file, named after the object: lower-case kind, a dash, `metadata.name`. */
export function objectFileName(o: { kind: string; metadata: { name: string } }): string {
  return `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
}
