import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ARGOCD_KINDS } from '../src/argocd/schemas.js';
import { synth } from '../src/pipeline/pipeline.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { loadProject } from '../src/spec/load.js';
import { SchemaValidator } from '../src/validate/schemas.js';
import { generateApplications } from './argocd-appset-emulator.js';
import { crdProblems, crdSchema, haveCrds } from './crd-check.js';
import { tempDir } from './helpers.js';
import { environmentYaml, makeProject, readTree, SETTINGS_YAML, writeFiles } from './synth-fixtures.js';

/**
 * Per-service image policies (`image.policy`, also under
 * `environments.<env>`): a stack whose services follow their own version
 * lines, rendered for both Image Updater modes, and what the v1.3.0 CRD's
 * defaults make of the rendered ImageUpdater.
 */

type Json = any;

const BUILD = 'regexp:^[0-9a-f]{7}$';
const RELEASE = 'regexp:^v?[0-9]+\\.[0-9]+\\.[0-9]+$';

/** A prod on the ^1.4 line, with an API on it, a backend on its own 0.x line, and a service that follows builds. */
function mixedStack(settings = SETTINGS_YAML): string {
  const app = (name: string, prod: string) =>
    [
      `image: {repository: ghcr.io/acme/${name}, tag: 3f9c2a1, autoUpdate: true}`,
      'port: 8000',
      'environments:',
      '  prod:',
      `    image: ${prod}`,
    ].join('\n');
  const project = makeProject(
    {
      api: app('api', '{tag: 1.4.2}'),
      backend: app('backend', '{tag: 0.9.3, policy: {constraint: ^0.9}}'),
      // Stage-like in prod: the newest build, within a semver environment.
      edge: app('edge', '{tag: 0c0ffee, policy: {strategy: newest-build}}'),
    },
    {
      stage: environmentYaml('stage'),
      prod: environmentYaml('prod').replace(
        'imagePolicy: {strategy: semver}',
        'imagePolicy: {strategy: semver, constraint: ^1.4}',
      ),
    },
  );
  writeFileSync(join(project, 'environments', '_settings.yaml'), settings);
  return project;
}

async function render(project: string): Promise<Map<string, string>> {
  const out = join(tempDir('gitops-synth-policy-'), 'dist');
  await synth({ projectDir: project, outDir: out, kustomize: false });
  return readTree(out);
}

/**
 * What the API server stores for an object of a structural schema: every
 * `default:` of a property missing from an object that is present is filled
 * in, at every level (apiextensions structural defaulting; parents the
 * object leaves out are not created).
 */
function withCrdDefaults(schema: Json, value: Json): Json {
  if (Array.isArray(value)) return value.map((v) => withCrdDefaults(schema?.items, v));
  if (value === null || typeof value !== 'object' || !schema) return value;
  const out: Json = { ...value };
  for (const [key, sub] of Object.entries<Json>(schema.properties ?? {}))
    if (out[key] === undefined && sub.default !== undefined) out[key] = structuredClone(sub.default);
  for (const key of Object.keys(out)) {
    const sub =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub) out[key] = withCrdDefaults(sub, out[key]);
  }
  return out;
}

/**
 * How Image Updater v1.3 settles an image's settings: the
 * image's own, else its ref's, else the resource's, else semver.
 */
function effective(updater: Json): Record<string, { strategy: string; allowTags?: string; imageName: string }> {
  const out: Record<string, { strategy: string; allowTags?: string; imageName: string }> = {};
  for (const ref of updater.spec.applicationRefs)
    for (const image of ref.images) {
      const levels = [image.commonUpdateSettings, ref.commonUpdateSettings, updater.spec.commonUpdateSettings];
      const pick = (key: string) => levels.find((l) => l?.[key] !== undefined)?.[key];
      out[ref.namePattern] = {
        strategy: pick('updateStrategy') ?? 'semver',
        allowTags: pick('allowTags'),
        imageName: image.imageName,
      };
    }
  return out;
}

describe('image.policy', () => {
  it('resolves over the environment: the same strategy inherits the rest, another strategy starts from the tags the pipeline builds', () => {
    const resolved = resolveProject(loadProject(mixedStack()));
    const policy = (name: string) => resolved.services.get('prod')!.find((s) => s.name === name)!.image.policy;
    expect(policy('api')).toEqual({ strategy: 'semver', constraint: '^1.4', allowTags: RELEASE });
    expect(policy('backend')).toEqual({ strategy: 'semver', constraint: '^0.9', allowTags: RELEASE });
    expect(policy('edge')).toEqual({ strategy: 'newest-build', constraint: undefined, allowTags: BUILD });
    // In stage nothing overrides the environment.
    for (const s of resolved.services.get('stage')!)
      expect(s.image.policy).toEqual({ strategy: 'newest-build', constraint: undefined, allowTags: BUILD });
  });

  it.skipIf(!haveCrds())(
    'a mixed-version stack renders one ImageUpdater that validates against the real v1.3.0 CRD and, with its defaults applied, moves each service on its own line',
    async () => {
      const files = await render(mixedStack());
      const updater = parse(files.get('argocd/imageupdater-prod.yaml')!);
      const validator = new SchemaValidator(ARGOCD_KINDS);
      await validator.prepare([`${updater.apiVersion}/ImageUpdater`]);
      expect(validator.validate(updater)).toEqual([]);
      const schema = crdSchema('ImageUpdater');
      expect(crdProblems(schema, updater)).toEqual([]);

      // What the cluster stores (and Image Updater reads) is the object with the CRD's defaults filled in.
      const stored = withCrdDefaults(schema, updater);
      expect(effective(stored)).toEqual({
        'api-prod': { strategy: 'semver', allowTags: RELEASE, imageName: 'ghcr.io/acme/api:^1.4' },
        'backend-prod': { strategy: 'semver', allowTags: RELEASE, imageName: 'ghcr.io/acme/backend:^0.9' },
        'edge-prod': { strategy: 'newest-build', allowTags: BUILD, imageName: 'ghcr.io/acme/edge' },
      });
      // Where an override is written, every setting is written: nothing is left for a default to fill.
      const edge = updater.spec.applicationRefs.find((r: Json) => r.namePattern === 'edge-prod').images[0];
      expect(edge.commonUpdateSettings).toEqual({
        updateStrategy: 'newest-build',
        forceUpdate: false,
        allowTags: BUILD,
      });
      const settings = (u: Json) => [
        u.spec.commonUpdateSettings,
        ...u.spec.applicationRefs.flatMap((r: Json) => r.images.map((i: Json) => i.commonUpdateSettings)),
      ];
      expect(settings(stored)).toEqual(settings(updater));

      // The hazard this guards against: in stage (newest-build for the whole resource), an image-level
      // override that gave allowTags alone inherits newest-build as written, but is stored as semver.
      const stage = parse(files.get('argocd/imageupdater-stage.yaml')!);
      expect(effective(withCrdDefaults(schema, stage))['api-stage']!.strategy).toBe('newest-build');
      stage.spec.applicationRefs.find((r: Json) => r.namePattern === 'api-stage').images[0].commonUpdateSettings = {
        allowTags: BUILD,
      };
      expect(effective(stage)['api-stage']!.strategy).toBe('newest-build');
      expect(effective(withCrdDefaults(schema, stage))['api-stage']!.strategy).toBe('semver');

      // Services without a policy of their own carry none on their image: the environment's applies.
      const api = updater.spec.applicationRefs.find((r: Json) => r.namePattern === 'api-prod').images[0];
      expect(api.commonUpdateSettings).toBeUndefined();
    },
  );

  it('annotations mode: each Application gets its own policy through app.json, every setting written', async () => {
    const files = await render(
      mixedStack(`${SETTINGS_YAML}imageUpdater: annotations\nversions: {imageUpdater: v0.18.0}\n`),
    );
    const out = join(tempDir('gitops-synth-policy-'), 'dist');
    writeFiles(out, Object.fromEntries(files));
    const apps: Record<string, Json> = {};
    for (const env of ['stage', 'prod']) {
      const set = parse(files.get(`argocd/applicationset-${env}.yaml`)!);
      const repoPath = set.spec.generators[0].git.files[0].path.split(`/${env}/`)[0];
      for (const a of generateApplications(set, out, repoPath)) apps[a.metadata.name] = a;
    }
    const IU = 'argocd-image-updater.argoproj.io/';
    const policyOf = (name: string) => {
      const a = apps[name].metadata.annotations;
      return [a[`${IU}image-list`], a[`${IU}update-strategy`], a[`${IU}allow-tags`]];
    };
    expect(policyOf('api-prod')).toEqual(['api=ghcr.io/acme/api:^1.4', 'semver', RELEASE]);
    expect(policyOf('backend-prod')).toEqual(['backend=ghcr.io/acme/backend:^0.9', 'semver', RELEASE]);
    expect(policyOf('edge-prod')).toEqual(['edge=ghcr.io/acme/edge', 'newest-build', BUILD]);
    expect(policyOf('edge-stage')).toEqual(['edge=ghcr.io/acme/edge', 'newest-build', BUILD]);
    expect(JSON.parse(files.get('prod/backend/app.json')!).image.policy).toEqual({
      strategy: 'semver',
      constraint: '^0.9',
      allowTags: RELEASE,
    });
  });
});
