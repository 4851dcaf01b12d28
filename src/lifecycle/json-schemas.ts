import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { environmentFileSchema } from '../spec/environment-schema.js';
import { serviceFileSchema } from '../spec/service-schema.js';

/**
 * JSON Schemas of the service and environment specs for editors (the YAML
 * language server reads the `# yaml-language-server: $schema=...` comment at
 * the top of a spec). Generated from the zod schemas, so they cannot drift;
 * a test compares the committed files with a fresh generation.
 * They describe the shape (keys, types, patterns, enums); checks zod makes in
 * code (refinements, cross-field rules) are left to `gitops-synth validate`.
 */

export const SCHEMAS_DIR = 'schemas';
export const SERVICE_SCHEMA_FILE = 'service.schema.json';
export const ENVIRONMENT_SCHEMA_FILE = 'environment.schema.json';

/** What goes at the top of a new `apps/<name>.yaml` (the file sits one folder below the project root). */
export const SERVICE_SCHEMA_COMMENT = ` yaml-language-server: $schema=../${SCHEMAS_DIR}/${SERVICE_SCHEMA_FILE}`;

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
  ];
}

function render(schema: z.ZodType, title: string, description: string, source: string): string {
  // io "input": what a person writes (numbers allowed where the spec turns them into strings).
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = json;
  const ordered = {
    $schema,
    $comment: `Generated from ${source} by \`npm run schemas\`; do not edit.`,
    title,
    description,
    ...rest,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
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
