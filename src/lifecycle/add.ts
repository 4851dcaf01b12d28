import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError, type SpecProblem } from '../spec/errors.js';
import { APPS_DIR } from '../spec/layout.js';
import { LifecycleError } from './errors.js';
import { jsonSchemaFiles, SCHEMAS_DIR, SERVICE_SCHEMA_FILE } from './json-schemas.js';
import { newService, type NewServiceArguments, type ServiceNote } from './new-service.js';
import { commitChange, loadValidProject, type ChangeResult, type RenderOptions } from './project.js';

export interface AddResult extends ChangeResult {
  /** The new spec, relative to the project. */
  readonly file: string;
  /** Whether the project's schemas/ had to be written for the editor comment to resolve. */
  readonly wroteSchemas: boolean;
  /** What the user should know about the new spec (the user it runs as, its port's protocol), one line each. */
  readonly notes: readonly ServiceNote[];
}

/**
 * `app add`: writes `apps/<name>.yaml` from the command line and renders the
 * project, which validates the new spec exactly like every other one. Never
 * overwrites: an existing file or a service of that name (in any file) is
 * refused. The spec's first line points editors at `schemas/`; when the
 * project has no schemas there yet, they are written too.
 */
export async function addService(
  projectDir: string,
  args: NewServiceArguments,
  render: RenderOptions = {},
): Promise<AddResult> {
  const { text, notes } = newService(args);
  const { project } = loadValidProject(projectDir);
  const file = `${APPS_DIR}/${args.name}.yaml`;
  const path = join(project.root, file);
  const existing = project.services.find((s) => s.name === args.name);
  if (existsSync(path) || existsSync(path.replace(/\.yaml$/, '.yml')))
    throw new LifecycleError(
      `${file} already exists; app add never overwrites a service: edit the file, ` +
        `or remove the service first with gitops-synth app remove ${args.name}`,
    );
  if (existing)
    throw new LifecycleError(
      `service "${args.name}" already exists (${existing.source.file} sets name: ${args.name}); ` +
        'expected a new service name',
    );

  const schemasDir = join(project.root, SCHEMAS_DIR);
  const wroteSchemas = !existsSync(join(schemasDir, SERVICE_SCHEMA_FILE));
  let result: Awaited<ReturnType<typeof commitChange>>;
  try {
    result = await commitChange(
      project.root,
      (files) => {
        if (wroteSchemas)
          for (const schema of jsonSchemaFiles())
            if (!existsSync(join(schemasDir, schema.file))) files.write(join(schemasDir, schema.file), schema.content);
        files.write(path, text);
      },
      render,
    );
  } catch (err) {
    // The new file was rolled back: its problems are told by the options that wrote each field, not by its lines.
    if (err instanceof SpecError) throw new SpecError(err.problems.map((p) => asOption(p, file, args.name)));
    throw err;
  }
  return { ...result, file, wroteSchemas, notes };
}

/** Options of `app add` by the top-level spec field they write. */
const OPTION_OF_FIELD: Readonly<Record<string, string>> = {
  name: '<name>',
  image: '--image',
  port: '--port',
  ports: '--port',
  expose: '--expose',
  replicas: '--replicas',
  env: '--env',
  secretEnv: '--secret-env',
  volumes: '--volume',
  securityContext: '--run-as-user',
};

/**
 * A problem of the spec `app add` wrote and then removed, told by the option
 * that wrote the field (`--expose: host ... is already claimed`), since the
 * file it would point into is not there. Problems of other files stay as they are.
 */
function asOption(p: SpecProblem, file: string, name: string): SpecProblem {
  if (p.file !== file) return p;
  const top = /^[A-Za-z]+/.exec(p.field)?.[0] ?? '';
  const option = Object.hasOwn(OPTION_OF_FIELD, top) ? OPTION_OF_FIELD[top]! : p.field;
  return {
    file: `app add ${name} (${file} was not written)`,
    field: option === p.field ? p.field : `${option} (${p.field})`,
    message: p.message,
  };
}
