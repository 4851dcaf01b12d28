import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { environmentFileSchema } from '../spec/environment-schema.js';
import { serviceFileSchema } from '../spec/service-schema.js';
import { settingsFileSchema } from '../spec/settings-schema.js';

/**
 * JSON Schemas of the service and environment specs and the project settings
 * for editors (the YAML language server reads the
 * `# yaml-language-server: $schema=...` comment at the top of a spec).
 * Generated from the zod schemas, descriptions included (zod metadata), so
 * they cannot drift; a test compares the committed files with a fresh
 * generation. They describe the shape (keys, types, patterns, enums); checks
 * zod makes in code (refinements, cross-field rules) are left to
 * `gitops-synth validate`.
 */

export const SCHEMAS_DIR = 'schemas';
export const SERVICE_SCHEMA_FILE = 'service.schema.json';
export const ENVIRONMENT_SCHEMA_FILE = 'environment.schema.json';
export const SETTINGS_SCHEMA_FILE = 'settings.schema.json';

/** The comment that points editors at a schema, for a spec one folder below the project root (apps/, environments/). */
function schemaComment(file: string): string {
  return ` yaml-language-server: $schema=../${SCHEMAS_DIR}/${file}`;
}

/** What goes at the top of a new `apps/<name>.yaml`. */
export const SERVICE_SCHEMA_COMMENT = schemaComment(SERVICE_SCHEMA_FILE);
/** What goes at the top of an `environments/<env>.yaml`. */
export const ENVIRONMENT_SCHEMA_COMMENT = schemaComment(ENVIRONMENT_SCHEMA_FILE);
/** What goes at the top of `environments/_settings.yaml`. */
export const SETTINGS_SCHEMA_COMMENT = schemaComment(SETTINGS_SCHEMA_FILE);

export interface SchemaFile {
  /** File name inside `schemas/`. */
  readonly file: string;
  readonly content: string;
}

export function jsonSchemaFiles(): SchemaFile[] {
  return [
    {
      file: SERVICE_SCHEMA_FILE,
      content: render(
        serviceFileSchema,
        'gitops-synth service spec',
        'apps/<service>.yaml: one service, deployed to every environment (overrides under environments.<env>).',
        'src/spec/service-schema.ts',
      ),
    },
    {
      file: ENVIRONMENT_SCHEMA_FILE,
      content: render(
        environmentFileSchema,
        'gitops-synth environment spec',
        'environments/<env>.yaml: one environment (namespace, domain, cluster, image policy).',
        'src/spec/environment-schema.ts',
      ),
    },
    {
      file: SETTINGS_SCHEMA_FILE,
      content: render(
        settingsFileSchema,
        'gitops-synth project settings',
        'environments/_settings.yaml: what is the same in every environment (the devops repository, Argo CD, ' +
          'single sign-on, registries, image tag formats, pinned versions).',
        'src/spec/settings-schema.ts',
      ),
    },
  ];
}

function render(schema: z.ZodType, title: string, description: string, source: string): string {
  // io "input": what a person writes (numbers allowed where the spec turns them into strings).
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = tidy(json) as Record<string, unknown>;
  const ordered = {
    $schema,
    $comment: `Generated from ${source} by \`npm run schemas\`; do not edit.`,
    title,
    description,
    ...rest,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * Puts every description first, where a reader of the file looks, and moves the description of the inner
 * schema of a key an environment override may set to null (`anyOf: [<schema>, {type: null}]`) onto the key,
 * where editors look for it; a bare type then joins null in a list of types, as zod writes it undescribed.
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  let out: Record<string, unknown> = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, tidy(v)]));
  const anyOf = out.anyOf as Record<string, unknown>[] | undefined;
  const orNull = anyOf?.length === 2 && isNullType(anyOf[1]!) ? anyOf[0]! : undefined;
  const description = orNull?.description;
  if (typeof description === 'string' && (out.description === undefined || out.description === description)) {
    const { description: _d, ...inner } = orNull!;
    const { anyOf: _, ...rest } = out;
    const bareType = Object.keys(inner).length === 1 && inner.type !== undefined;
    out = bareType
      ? { description, ...rest, type: [inner.type, 'null'].flat() }
      : { description, ...rest, anyOf: [inner, anyOf![1]] };
  }
  return typeof out.description === 'string' ? { description: out.description, ...out } : out;
}

function isNullType(schema: Record<string, unknown>): boolean {
  return schema.type === 'null' && Object.keys(schema).length === 1;
}

/** Writes the schema files into `dir` (the project's `schemas/`). */
export function writeJsonSchemas(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return jsonSchemaFiles().map(({ file, content }) => {
    writeFileSync(join(dir, file), content);
    return join(dir, file);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const written of writeJsonSchemas(resolve(process.argv[2] ?? SCHEMAS_DIR)))
    process.stdout.write(`wrote ${written}\n`);
}
