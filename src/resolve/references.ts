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
  /** In-cluster DNS name of a service of this environment, or an error message. */
  serviceHost(name: string): { host: string } | { error: string };
}

export function interpolate(text: string, ctx: ReferenceContext): { value: string; errors: string[] } {
  const errors: string[] = [];
  const value = text.replace(REFERENCE, (whole, kind: string, arg: string) => {
    if (kind === 'service') {
      const r = ctx.serviceHost(arg);
      if ('error' in r) {
        errors.push(r.error);
        return whole;
      }
      return r.host;
    }
    switch (arg) {
      case 'domain':
        return ctx.domain;
      case 'name':
        return ctx.envName;
      case 'namespace':
        return ctx.namespace;
      default:
        errors.push(`unknown reference \${env:${arg}}; expected \${env:domain}, \${env:name} or \${env:namespace}`);
        return whole;
    }
  });
  return { value, errors };
}

/** True when the whole text is references and nothing else (so it holds no literal). */
export function isOnlyReferences(text: string): boolean {
  return text.replace(REFERENCE, '').replace(/\$\([A-Za-z_][A-Za-z0-9_]*\)/g, '').trim() === '';
}

/** Kubernetes `$(VAR)` dependent-variable references in an env value. */
export function dependentVariables(text: string): string[] {
  return [...text.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!);
}
