import { Ajv, type ErrorObject } from 'ajv';
import type { ModelLoader } from '../validate/schemas.js';
import { IMAGE_UPDATER_API } from './names.js';

/**
 * JSON schema of Image Updater's `ImageUpdater` (argocd-image-updater.argoproj.io/v1alpha1),
 * written from the v1 field list (v1.2+ shape: no spec.namespace). Stricter than
 * the upstream CRD: unknown fields are errors everywhere, `updateStrategy` is one
 * of the four documented strategies (the CRD takes any string, and a misspelled
 * strategy would only fail at run time), allowTags is `any` or `regexp:<re>`.
 */

const UPDATE_STRATEGIES = ['semver', 'newest-build', 'alphabetical', 'digest'];

const stringList = { type: 'array', items: { type: 'string' } };

const commonUpdateSettings = {
  type: 'object',
  additionalProperties: false,
  properties: {
    updateStrategy: { enum: UPDATE_STRATEGIES },
    forceUpdate: { type: 'boolean' },
    allowTags: { type: 'string', pattern: '^(any|regexp:.+)$' },
    ignoreTags: stringList,
    pullSecret: { type: 'string', pattern: '^(pullsecret:[^/]+/.+|secret:[^/]+/[^#]+#.+|env:.+|ext:/.+)$' },
    platforms: stringList,
  },
};

const writeBackConfig = {
  type: 'object',
  additionalProperties: false,
  properties: {
    method: { type: 'string', pattern: '^(argocd|git|git:[a-zA-Z0-9][a-zA-Z0-9-._/:]*)$' },
    gitConfig: {
      type: 'object',
      additionalProperties: false,
      properties: {
        repository: { type: 'string', minLength: 1 },
        branch: { type: 'string', minLength: 1 },
        writeBackTarget: { type: 'string', minLength: 1 },
        pullRequest: {
          type: 'object',
          additionalProperties: false,
          properties: { github: { type: 'object' }, gitlab: { type: 'object' } },
          minProperties: 1,
          maxProperties: 1,
        },
      },
    },
  },
};

const imagesVerification = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    cosignKey: {
      type: 'object',
      additionalProperties: false,
      required: ['secretName', 'key'],
      properties: { secretName: { type: 'string' }, key: { type: 'string' } },
    },
  },
  // Enabled (the default) needs a verification method.
  if: { required: ['enabled'], properties: { enabled: { const: false } } },
  else: { required: ['cosignKey'] },
};

const targetFields = (min: number) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: min },
    tag: { type: 'string', minLength: min },
    spec: { type: 'string', minLength: min },
  },
});

const image = {
  type: 'object',
  additionalProperties: false,
  required: ['alias', 'imageName'],
  properties: {
    alias: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9-._]*$' },
    imageName: { type: 'string', minLength: 1 },
    commonUpdateSettings,
    manifestTargets: {
      type: 'object',
      additionalProperties: false,
      properties: {
        helm: targetFields(0),
        kustomize: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1 } },
        },
        plugin: { ...targetFields(1), anyOf: [{ required: ['spec'] }, { required: ['name'] }] },
      },
      minProperties: 1,
      maxProperties: 1,
    },
    imagesVerification,
  },
};

const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: stringList,
        },
      },
    },
  },
};

const applicationRef = {
  type: 'object',
  additionalProperties: false,
  required: ['namePattern'],
  properties: {
    namePattern: { type: 'string', minLength: 1 },
    labelSelectors: labelSelector,
    useAnnotations: { type: 'boolean' },
    commonUpdateSettings,
    writeBackConfig,
    imagesVerification,
    images: { type: 'array', minItems: 1, items: image },
  },
  // Images are required unless the settings come from the Application's annotations.
  if: { required: ['useAnnotations'], properties: { useAnnotations: { const: true } } },
  else: { required: ['images'] },
};

export const IMAGE_UPDATER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: IMAGE_UPDATER_API },
    kind: { const: 'ImageUpdater' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'namespace'],
      properties: {
        name: { type: 'string' },
        namespace: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['applicationRefs'],
      properties: {
        commonUpdateSettings,
        writeBackConfig,
        imagesVerification,
        applicationRefs: { type: 'array', minItems: 1, items: applicationRef },
      },
    },
  },
};

/** Readable ajv errors: `spec/applicationRefs/0/...: must be equal to one of the allowed values (semver, ...)`. */
function describe(errors: readonly ErrorObject[]): string {
  return errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const at = e.instancePath || '(root)';
      if (e.keyword === 'additionalProperties')
        return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      if (e.keyword === 'enum')
        return `${at}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`;
      return `${at}: ${e.message}`;
    })
    .join('; ');
}

/** Keys that must be unique in a list-map, as the CRD's x-kubernetes-list-map-keys declare. */
function duplicateKeys(
  spec: { applicationRefs?: { namePattern?: string; images?: { alias?: string }[] }[] } | undefined,
): string[] {
  const problems: string[] = [];
  const refs = spec?.applicationRefs ?? [];
  const seen = new Set<string>();
  refs.forEach((r, i) => {
    if (r.namePattern !== undefined && seen.has(r.namePattern))
      problems.push(`/spec/applicationRefs/${i}/namePattern: "${r.namePattern}" is listed twice`);
    if (r.namePattern !== undefined) seen.add(r.namePattern);
    const aliases = new Set<string>();
    (r.images ?? []).forEach((img, j) => {
      if (img.alias !== undefined && aliases.has(img.alias))
        problems.push(`/spec/applicationRefs/${i}/images/${j}/alias: "${img.alias}" is listed twice`);
      if (img.alias !== undefined) aliases.add(img.alias);
    });
  });
  return problems;
}

/** A model in the shape SchemaValidator expects: `new Model(object).validate()` throws when invalid. */
export const loadImageUpdaterModel: ModelLoader = async () => {
  const check = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(IMAGE_UPDATER_SCHEMA);
  return class ImageUpdaterModel {
    constructor(private readonly data: unknown) {}
    validate(): void {
      const problems: string[] = [];
      if (!check(this.data)) problems.push(describe(check.errors ?? []));
      problems.push(...duplicateKeys((this.data as { spec?: Parameters<typeof duplicateKeys>[0] }).spec));
      if (problems.length) throw new Error(problems.join('; '));
    }
  };
};
