import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ENVIRONMENT_SCHEMA_COMMENT,
  ENVIRONMENT_SCHEMA_FILE,
  jsonSchemaFiles,
  SCHEMAS_DIR,
  SERVICE_SCHEMA_COMMENT,
  SERVICE_SCHEMA_FILE,
  SETTINGS_SCHEMA_COMMENT,
  SETTINGS_SCHEMA_FILE,
} from '../src/lifecycle/json-schemas.js';
import { newServiceText } from '../src/lifecycle/new-service.js';
import { BASE_DIR } from './bad-specs/corpus.js';
import { REPO } from './helpers.js';

/** The projects the repository ships: the shop at the root and the web farm. */
const EXAMPLES = [REPO, join(REPO, 'examples', 'webfarm')];

/** Every spec of a project, with the schema file that describes it. */
function specsOf(project: string): { file: string; schema: string }[] {
  const yaml = (dir: string) => readdirSync(join(project, dir)).filter((n) => n.endsWith('.yaml'));
  return [
    ...yaml('apps').map((n) => ({ file: join(project, 'apps', n), schema: SERVICE_SCHEMA_FILE })),
    ...yaml('environments').map((n) => ({
      file: join(project, 'environments', n),
      schema: n === '_settings.yaml' ? SETTINGS_SCHEMA_FILE : ENVIRONMENT_SCHEMA_FILE,
    })),
  ];
}

/** A JSON pointer token (RFC 6901). */
const token = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * JSON pointers of every property, and of every object-valued array item or map value, that has no
 * non-empty description, at any depth (union members and their properties included); `checked` counts
 * the places looked at.
 */
function undescribed(node: unknown, at = '', found = { missing: [] as string[], checked: 0 }) {
  if (Array.isArray(node)) node.forEach((v, i) => undescribed(v, `${at}/${i}`, found));
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return found;
  const schema = node as Record<string, unknown>;
  const needs = (child: unknown, pointer: string): void => {
    found.checked++;
    const description = (child as { description?: unknown }).description;
    if (typeof description !== 'string' || description.trim() === '') found.missing.push(pointer);
  };
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, unknown>))
    needs(child, `${at}/properties/${token(key)}`);
  for (const key of ['items', 'additionalProperties']) {
    const child = schema[key] as Record<string, unknown> | undefined;
    if (child && typeof child === 'object' && (child.type === 'object' || child.properties))
      needs(child, `${at}/${key}`);
  }
  for (const [key, child] of Object.entries(schema)) undescribed(child, `${at}/${token(key)}`, found);
  return found;
}

describe('JSON Schemas for editors', () => {
  const generated = jsonSchemaFiles();
  const schemaOf = (file: string) => JSON.parse(generated.find((g) => g.file === file)!.content);

  it('the committed schemas/ are what the zod schemas generate (`npm run schemas` after a spec schema changes)', () => {
    expect(generated.map((g) => g.file).sort()).toEqual(
      [SERVICE_SCHEMA_FILE, ENVIRONMENT_SCHEMA_FILE, SETTINGS_SCHEMA_FILE].sort(),
    );
    for (const { file, content } of generated)
      expect(readFileSync(join(REPO, SCHEMAS_DIR, file), 'utf8'), file).toBe(content);
  });

  it('describe every property at every depth, so editors show what each key is', () => {
    // The walk itself finds what is missing (or this test could not fail).
    expect(
      undescribed({
        properties: {
          a: { description: 'A', type: 'object', properties: { b: { type: 'string' }, c: { description: ' ' } } },
          d: { description: 'D', type: 'array', items: { type: 'object', properties: {} } },
          'e/f': { description: 'E', oneOf: [{ type: 'object', properties: { g: { type: 'number' } } }] },
        },
      }).missing,
    ).toEqual([
      '/properties/a/properties/b',
      '/properties/a/properties/c',
      '/properties/d/items',
      '/properties/e~1f/oneOf/0/properties/g',
    ]);

    for (const { file, content } of generated) {
      const schema = JSON.parse(content);
      const { missing, checked } = undescribed(schema);
      expect(missing, `${file}: properties without a description`).toEqual([]);
      expect(checked, file).toBeGreaterThan(file === SERVICE_SCHEMA_FILE ? 200 : 25);
      expect(schema.description, file).toMatch(/^(apps|environments)\//);
    }
    // A key an environment override may set to null keeps its description where editors look: on the key.
    const override = schemaOf(SERVICE_SCHEMA_FILE).properties.environments.additionalProperties;
    expect(override.properties.replicas.description).toBe(
      schemaOf(SERVICE_SCHEMA_FILE).properties.replicas.description,
    );
    expect(override.properties.image.anyOf[0].properties.tag.type).toEqual(['string', 'number', 'null']);
    // Defaults are the resolvers' (a sample a reader relies on).
    const environment = schemaOf(ENVIRONMENT_SCHEMA_FILE);
    expect(environment.properties.waitImage.description).toMatch(/Default: busybox:1\.37\.0\.$/);
    expect(schemaOf(SETTINGS_SCHEMA_FILE).properties.versions.properties.argocd.description).toMatch(
      /Default: v3\.5\.1\.$/,
    );
  });

  it('every shipped spec starts with the yaml-language-server comment naming its schema, by a path that works', () => {
    const comments: Record<string, string> = {
      [SERVICE_SCHEMA_FILE]: SERVICE_SCHEMA_COMMENT,
      [ENVIRONMENT_SCHEMA_FILE]: ENVIRONMENT_SCHEMA_COMMENT,
      [SETTINGS_SCHEMA_FILE]: SETTINGS_SCHEMA_COMMENT,
    };
    for (const project of EXAMPLES) {
      const specs = specsOf(project);
      expect(specs.length, project).toBeGreaterThanOrEqual(5);
      for (const { file, schema } of specs) {
        const first = readFileSync(file, 'utf8').split('\n', 1)[0]!;
        const target = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
        expect(target, `${file}: first line`).toBeDefined();
        expect(resolve(dirname(file), target!), file).toBe(join(REPO, SCHEMAS_DIR, schema));
        expect(existsSync(resolve(dirname(file), target!)), file).toBe(true);
        // The shop is a project root of its own: its comments are the ones gitops-synth writes.
        if (project === REPO) expect(first, file).toBe(`#${comments[schema]}`);
      }
    }
  });

  it('accept every spec gitops-synth accepts and refuse a misspelled key or a wrong type (ajv, draft-7)', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const validators = Object.fromEntries(generated.map((g) => [g.file, ajv.compile(JSON.parse(g.content))]));
    for (const project of [...EXAMPLES, BASE_DIR])
      for (const { file, schema } of specsOf(project)) {
        const validate = validators[schema]!;
        expect(validate(parse(readFileSync(file, 'utf8'))), `${file}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
    const service = validators[SERVICE_SCHEMA_FILE]!;
    const environment = validators[ENVIRONMENT_SCHEMA_FILE]!;
    const settings = validators[SETTINGS_SCHEMA_FILE]!;
    expect(service({ image: { repository: 'x', tag: '1' }, replica: 2 })).toBe(false);
    expect(service({ environments: { prod: { image: null, suspended: true } } })).toBe(true);
    expect(service({ suspended: 'yes' })).toBe(false);
    const env = { namespace: 'a', domain: 'a.example.com', cluster: 'in-cluster', imagePolicy: { strategy: 'semver' } };
    expect(environment(env)).toBe(true);
    expect(environment({ ...env, imagePolicy: { strategy: 'latest' } })).toBe(false);
    expect(environment({ ...env, namespace: undefined })).toBe(false);
    expect(settings({ repository: { url: 'https://example.com/org/deploy.git', branch: 'main' } })).toBe(true);
    expect(settings({ repository: { url: 'https://example.com/org/deploy.git', brnach: 'main' } })).toBe(false);
    expect(settings({ imageTags: { shaLength: 6 } })).toBe(false);
    const added = newServiceText({
      name: 'cache',
      image: 'redis:7.4.1',
      port: '8080',
      expose: 'cache',
      env: ['A=1'],
      secretEnv: ['P=s/k'],
      volume: ['data:/data:1Gi'],
    });
    expect(service(parse(added)), ajv.errorsText(service.errors)).toBe(true);
  });
});
