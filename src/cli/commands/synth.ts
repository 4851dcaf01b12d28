import type { CommandModule } from 'yargs';
import { synth } from '../../pipeline/pipeline.js';
import { allowRemovalOption, removalAllowance } from '../allow-removal.js';
import { renderedLine } from '../output.js';
import type { GlobalOptions } from '../main.js';

interface SynthArgs extends GlobalOptions {
  out?: string;
  'allow-removal'?: string[];
}

export const synthCommand: CommandModule<GlobalOptions, SynthArgs> = {
  command: 'synth',
  describe:
    'Render apps/ × environments/ into dist/ (dist/<env>/<service>/, the Argo CD objects in dist/argocd/, the cluster bootstrap in dist/bootstrap/), validate what changed, and write only that, kill-safe',
  builder: (y) =>
    y
      .option('out', {
        type: 'string',
        describe: "Output folder (absent, empty, or gitops-synth's)",
        defaultDescription: '<project>/dist',
      })
      .option('allow-removal', allowRemovalOption('the output folder'))
      .example('$0 synth', 'render the project in the current folder')
      .example('$0 synth --project examples/webfarm', 'render another project')
      .example('$0 synth --allow-removal stage', 'confirm that environment stage goes')
      .epilogue(
        'Compared with what the output folder holds, a render is refused (exit 1, nothing written) when an ' +
          'environment disappears, when an environment loses more than half of its services (two at least), or ' +
          'when no service is left, unless --allow-removal names what goes; and when it changes what the API ' +
          'server refuses to update (a StatefulSet claim template, a claim shrinking, a selector, a cluster IP), ' +
          'unless the spec acknowledges it (recreate:, or replaces: on a volume). The message names each one ' +
          'and how to confirm it.',
      ),
  handler: async (args) => {
    const result = await synth({
      projectDir: args.project,
      outDir: args.out,
      removals: removalAllowance(args['allow-removal']),
    });
    process.stdout.write(renderedLine(result));
    if (result.overriding.length)
      process.stdout.write(
        `gitops-synth: removed ${result.overriding.length} Image Updater file${result.overriding.length === 1 ? '' : 's'} of pinned services, which would override the pinned tag (${result.overriding.join(', ')})\n`,
      );
  },
};
