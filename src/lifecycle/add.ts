import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { APPS_DIR } from '../spec/load.js';
import { LifecycleError } from './errors.js';
import { jsonSchemaFiles, SCHEMAS_DIR, SERVICE_SCHEMA_FILE } from './json-schemas.js';
import { newServiceText, type NewServiceArguments } from './new-service.js';
import { commitChange, loadValidProject, type ChangeResult } from './project.js';

export interface AddResult extends ChangeResult {
  /** The new spec, relative to the project. */
  readonly file: string;
  /** Whether the project's schemas/ had to be written for the editor comment to resolve. */
  readonly wroteSchemas: boolean;
}

/**
 * `app add`: writes `apps/<name>.yaml` from the command line and renders the
 * project, which validates the new spec exactly like every other one. Never
 * overwrites: an existing file or a service of that name (in any file) is
 * refused. The spec's first line points editors at `schemas/`; when the
 * project has no schemas there yet, they are written too.
 */
export async function addService(projectDir: string, args: NewServiceArguments): Promise<AddResult> {
  const text = newServiceText(args);
  const { project } = loadValidProject(projectDir);
  const file = `${APPS_DIR}/${args.name}.yaml`;
  const path = join(project.root, file);
  const existing = project.services.find((s) => s.name === args.name);
  if (existsSync(path) || existsSync(path.replace(/\.yaml$/, '.yml')))
    throw new LifecycleError(
      `${file} already exists; app add never overwrites a service: edit the file, or remove the service first with gitops-synth app remove ${args.name}`,
    );
  if (existing)
    throw new LifecycleError(
      `service "${args.name}" already exists (${existing.source.file} sets name: ${args.name}); expected a new service name`,
    );

  const schemasDir = join(project.root, SCHEMAS_DIR);
  const wroteSchemas = !existsSync(join(schemasDir, SERVICE_SCHEMA_FILE));
  const result = await commitChange(project.root, (files) => {
    if (wroteSchemas)
      for (const schema of jsonSchemaFiles())
        if (!existsSync(join(schemasDir, schema.file))) files.write(join(schemasDir, schema.file), schema.content);
    files.write(path, text);
  });
  return { ...result, file, wroteSchemas };
}
