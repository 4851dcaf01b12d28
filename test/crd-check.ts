import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from './helpers.js';

/**
 * Structural checks of objects against the upstream CRDs kept beside the
 * repository (`../shared/reference/crds`, reference material, not part of
 * the project): every field must be declared, with the declared type, enum,
 * required fields, string pattern and length, number bounds and list sizes.
 * The `@kubernetes-models/*` schemas accept unknown fields, so this is what
 * catches a field Argo CD v3.5.1, Gateway API v1.6.1 or External Secrets
 * v2.9.0 does not have. CEL rules (x-kubernetes-validations) are not
 * evaluated; the tests assert what they ask for where it matters.
 */

export const CRD_DIR = join(REPO, '..', 'shared', 'reference', 'crds');
export const CRD_FILES: Record<string, string> = {
  Application: 'argocd-v3.5.1-application.yaml',
  ApplicationSet: 'argocd-v3.5.1-applicationset.yaml',
  AppProject: 'argocd-v3.5.1-appproject.yaml',
  ImageUpdater: 'imageupdater-v1.3.0.yaml',
  Gateway: 'gateway-api-v1.6.1-gateways.yaml',
  HTTPRoute: 'gateway-api-v1.6.1-httproutes.yaml',
  ExternalSecret: 'external-secrets-v2.9.0-externalsecrets.yaml',
};

/** Whether the reference CRDs are there (they are not part of the repository). */
export function haveCrds(): boolean {
  return Object.values(CRD_FILES).every((f) => existsSync(join(CRD_DIR, f)));
}

type Json = any;

/** The schema of `kind` in `version` (e.g. v1), or else in the version the CRD stores. */
export function crdSchema(kind: string, version?: string): Json {
  const crd = parse(readFileSync(join(CRD_DIR, CRD_FILES[kind]!), 'utf8'));
  const found = crd.spec.versions.find((v: Json) => (version ? v.name === version : v.served && v.storage));
  if (!found?.served) throw new Error(`the ${kind} CRD serves no version ${version}`);
  return found.schema.openAPIV3Schema;
}

/** Problems of an object against the CRD of its kind, in the version its apiVersion names. */
export function objectCrdProblems(schemaOf: (kind: string, version?: string) => Json, o: Json): string[] {
  return crdProblems(schemaOf(o.kind, o.apiVersion.split('/').pop()), o);
}

/** crdSchema that reads each CRD once (the ApplicationSet CRD is 1.4 MB). */
export function crdSchemaReader(): (kind: string, version?: string) => Json {
  const read = new Map<string, Json>();
  return (kind, version) => {
    const key = `${kind}/${version ?? ''}`;
    if (!read.has(key)) read.set(key, crdSchema(kind, version));
    return read.get(key);
  };
}

/** Problems of `value` against an OpenAPI v3 structural schema (metadata is left to the Kubernetes schemas). */
export function crdProblems(schema: Json, value: Json, path = ''): string[] {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return [];
  const at = path || '(root)';
  if (schema['x-kubernetes-int-or-string']) {
    return typeof value === 'string' || Number.isInteger(value) ? [] : [`${at}: expected an integer or a string`];
  }
  const type = schema.type;
  const problems: string[] = [];
  const typeOk =
    type === undefined ||
    (type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) ||
    (type === 'array' && Array.isArray(value)) ||
    (type === 'string' && typeof value === 'string') ||
    (type === 'boolean' && typeof value === 'boolean') ||
    (type === 'integer' && Number.isInteger(value)) ||
    (type === 'number' && typeof value === 'number');
  if (!typeOk) return [`${at}: expected ${type}, got ${JSON.stringify(value)}`];
  if (schema.enum && !schema.enum.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (type === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
      problems.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      problems.push(`${at}: longer than ${schema.maxLength} characters`);
    if (schema.minLength !== undefined && value.length < schema.minLength)
      problems.push(`${at}: shorter than ${schema.minLength} characters`);
  }
  if (type === 'integer' || type === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: less than ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at}: more than ${schema.maximum}`);
  }
  if (type === 'array') {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      problems.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.minItems !== undefined && value.length < schema.minItems)
      problems.push(`${at}: fewer than ${schema.minItems} items`);
  }
  if (type === 'array')
    value.forEach((v: Json, i: number) => problems.push(...crdProblems(schema.items, v, `${path}[${i}]`)));
  if (type === 'object') {
    for (const r of schema.required ?? []) if (!(r in value)) problems.push(`${at}: missing required field ${r}`);
    for (const [k, v] of Object.entries(value)) {
      const sub = `${path ? `${path}.` : ''}${k}`;
      if (path === '' && k === 'metadata') continue;
      if (schema.properties?.[k]) problems.push(...crdProblems(schema.properties[k], v, sub));
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
        problems.push(...crdProblems(schema.additionalProperties, v, sub));
      else if (schema.properties || schema.additionalProperties === false)
        problems.push(`${sub}: field not declared in the CRD`);
    }
  }
  return problems;
}
