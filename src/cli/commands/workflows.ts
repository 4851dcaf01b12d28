import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ABOUT } from './about.js';
import { join, relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { BUILD_IMAGE_WORKFLOW, WORKFLOWS_DIR } from '../../publish/workflow-names.js';
import { buildImageWorkflow } from '../../publish/workflows.js';
import { loadProject } from '../../spec/load.js';
import { examples, exitStatus } from '../help.js';
import type { GlobalOptions } from '../main.js';
import { CommandFailure } from '../output.js';

interface WorkflowsArgs extends GlobalOptions {
  check: boolean;
}

export const workflowsCommand: CommandModule<GlobalOptions, WorkflowsArgs> = {
  ...ABOUT.workflows,
  builder: (y) =>
    examples(
      y.option('check', {
        type: 'boolean',
        default: false,
        describe: 'Write nothing; exit 1 when the file differs from what the settings generate (for CI)',
      }),
      [
        ['$0 workflows', `regenerate ${WORKFLOWS_DIR}/${BUILD_IMAGE_WORKFLOW} after changing imageTags`],
        ['$0 workflows --check', 'fail when it is out of date'],
      ],
    ).epilogue(
      exitStatus({
        0: 'written, or already up to date',
        1: 'spec problems (each with file, line and field), or with --check a file that is missing or out of date',
      }),
    ),
  handler: (args) => {
    const project = loadProject(args.project);
    const content = buildImageWorkflow(project.settings.spec);
    const file = join(args.project, WORKFLOWS_DIR, BUILD_IMAGE_WORKFLOW);
    const shown = relative(process.cwd(), file) || file;
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (args.check) {
      if (current !== content)
        throw new CommandFailure(
          `${shown} is ${current === undefined ? 'missing' : 'out of date'}: run gitops-synth workflows and ` +
            'commit the result',
          1,
        );
      process.stdout.write(`gitops-synth: ${shown} is up to date\n`);
      return;
    }
    if (current === content) {
      process.stdout.write(`gitops-synth: ${shown} is up to date\n`);
      return;
    }
    mkdirSync(join(args.project, WORKFLOWS_DIR), { recursive: true });
    const staging = `${file}.${process.pid}.tmp`;
    writeFileSync(staging, content);
    renameSync(staging, file);
    process.stdout.write(`gitops-synth: wrote ${shown}\n`);
  },
};
