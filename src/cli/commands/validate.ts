import type { CommandModule } from 'yargs';
import { validate } from '../../pipeline/pipeline.js';
import type { GlobalOptions } from '../main.js';

export const validateCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'validate',
  describe:
    'Check the specs and everything synth would write (schemas, kubectl kustomize on every folder, no cache) without writing anything',
  handler: async (args) => {
    const result = await validate({ projectDir: args.project, fresh: true });
    process.stdout.write(`gitops-synth: valid: ${result.services} service folders, ${result.objects} objects\n`);
  },
};
