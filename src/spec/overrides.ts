import { deepMerge } from './merge.js';
import { ownValue } from '../util/own.js';
import { serviceFieldsSchema, type ServiceFields, type ServiceFile } from './service-schema.js';
import { checkSchema, type FieldIssue } from './zod-problems.js';

/**
 * A service's fields in one environment: the base spec with that
 * environment's override merged over it (mappings key by key, lists and
 * scalars replaced, `null` removing a key); undefined when the service is
 * disabled there.
 */
export function fieldsIn(spec: ServiceFile, environment: string): ServiceFields | undefined {
  const override = ownValue(spec.environments, environment);
  if (override?.enabled === false) return undefined;
  const { name: _n, environments: _e, ...base } = spec;
  const { enabled: _en, ...overrideFields } = override ?? {};
  return deepMerge(base as ServiceFields, overrideFields);
}

/**
 * What is wrong with the merged fields of each environment the file
 * overrides (an override may be partial, the merge must be a whole, valid
 * spec), by environment name. The file alone decides it, so it is worked out
 * when the file is checked and remembered with it (spec-cache.ts); resolve
 * reports the issues of the environments that exist.
 */
export function overrideIssues(spec: ServiceFile): Map<string, FieldIssue[]> {
  const out = new Map<string, FieldIssue[]>();
  for (const environment of Object.keys(spec.environments ?? {})) {
    const override = ownValue(spec.environments, environment);
    const { enabled: _en, ...overrideFields } = override ?? {};
    if (override?.enabled === false || Object.keys(overrideFields).length === 0) continue;
    const issues = checkSchema(serviceFieldsSchema, fieldsIn(spec, environment)).issues;
    if (issues.length) out.set(environment, issues);
  }
  return out;
}
