import type { CommandModule } from 'yargs';
import { synth } from '../../pipeline/pipeline.js';
import { renderedLine } from '../output.js';
import type { GlobalOptions } from '../main.js';

interface SynthArgs extends GlobalOptions {
  out?: string;
}

export const synthCommand: CommandModule<GlobalOptions, SynthArgs> = {
  command: 'synth',
  describe:
    'Render apps/ × environments/ into dist/ (dist/<env>/<service>/, the Argo CD objects in dist/argocd/, the cluster bootstrap in dist/bootstrap/), validate everything, and swap the result in atomically',
  builder: (y) =>
    y
      .option('out', { type: 'string', describe: 'Output folder', defaultDescription: '<project>/dist' })
      .example('$0 synth', 'render the project in the current folder')
      .example('$0 synth --project examples/webfarm', 'render another project'),
  handler: async (args) => {
    const result = await synth({ projectDir: args.project, outDir: args.out });
    process.stdout.write(renderedLine(result));
    if (result.preserved.length)
      process.stdout.write(
        `gitops-synth: kept ${result.preserved.length} Image Updater file${result.preserved.length === 1 ? '' : 's'} (${result.preserved.join(', ')})\n`,
      );
    if (result.overriding.length)
      process.stdout.write(
        `gitops-synth: removed ${result.overriding.length} Image Updater file${result.overriding.length === 1 ? '' : 's'} of pinned services, which would override the pinned tag (${result.overriding.join(', ')})\n`,
      );
  },
};
