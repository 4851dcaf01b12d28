/**
 * `${service:<name>}`, `${env:domain}`, `${env:name}` and `${env:namespace}`
 * in env values and files, resolved for one environment. Any other `${...}`
 * is left alone, because config formats such as nginx's use the same syntax.
 */
const REFERENCE = /\$\{(service|env):([^}]*)\}/g;

export interface ReferenceContext {
  readonly envName: string;
  readonly namespace: string;
  readonly domain: string;
  /**
   * In-cluster DNS name of a service of this environment, or an error
   * message; `unchecked` when that cannot be told because the service's file
   * failed to load (the reference is then left as written and not reported).
   */
  serviceHost(name: string): { host: string } | { error: string } | { unchecked: true };
}

/** A reference that cannot be resolved, and where it is in the text, so the problem can point at it. */
export interface UnresolvedReference {
  readonly message: string;
  /** The reference as written, e.g. `${service:backend}`. */
  readonly reference: string;
  /** Offset of the reference in the text given to interpolate. */
  readonly offset: number;
}

export function interpolate(text: string, ctx: ReferenceContext): { value: string; errors: UnresolvedReference[] } {
  const errors: UnresolvedReference[] = [];
  const value = text.replace(REFERENCE, (whole: string, kind: string, arg: string, offset: number) => {
    if (kind === 'service') {
      const r = ctx.serviceHost(arg);
      if ('error' in r) {
        errors.push({ message: r.error, reference: whole, offset });
        return whole;
      }
      return 'host' in r ? r.host : whole;
    }
    switch (arg) {
      case 'domain':
        return ctx.domain;
      case 'name':
        return ctx.envName;
      case 'namespace':
        return ctx.namespace;
      default:
        errors.push({
          message: `unknown reference \${env:${arg}}; expected \${env:domain}, \${env:name} or \${env:namespace}`,
          reference: whole,
          offset,
        });
        return whole;
    }
  });
  return { value, errors };
}

/** True when the whole text is references and nothing else (so it holds no literal). */
export function isOnlyReferences(text: string): boolean {
  return (
    text
      .replace(REFERENCE, '')
      .replace(/\$\([A-Za-z_][A-Za-z0-9_]*\)/g, '')
      .trim() === ''
  );
}

/** Kubernetes `$(VAR)` dependent-variable references in an env value. */
export function dependentVariables(text: string): string[] {
  return [...text.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!);
}

/** The in-cluster DNS name of a service's Service. */
export function serviceHost(name: string, env: { namespace: string }): string {
  return `${name}.${env.namespace}.svc.cluster.local`;
}

/** The service names of the `${service:<name>}` references in a text, in order of appearance. */
export function referencedServices(text: string): string[] {
  return [...text.matchAll(REFERENCE)].filter((m) => m[1] === 'service').map((m) => m[2]!);
}
