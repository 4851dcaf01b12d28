import { withProgress } from '../../progress.js';
import type { CommandModule } from 'yargs';
import { pinService, unpinService } from '../../../lifecycle/pin.js';
import type { SynthResult } from '../../../pipeline/pipeline.js';
import { examples } from '../../help.js';
import type { GlobalOptions } from '../../main.js';
import { renderedLine } from '../../output.js';
import { APP_EXIT_STATUS } from './shared.js';

interface PinArgs extends GlobalOptions {
  name: string;
  env: string;
  tag: string;
  reason?: string;
}

type UnpinArgs = Omit<PinArgs, 'tag' | 'reason'>;

export const pinCommand: CommandModule<GlobalOptions, PinArgs> = {
  command: 'pin <name>',
  describe:
    'Hold a service at a tag in one environment (a rollback that holds): the image policy stops moving it ' +
    'and its Image Updater write-back is removed',
  builder: (y) =>
    examples(y, [['$0 app pin api --env prod --tag 1.4.1 --reason "bug in 1.4.7"', 'roll prod back and hold it']])
      .positional('name', { type: 'string', demandOption: true, describe: 'The service' })
      .option('env', { type: 'string', demandOption: true, describe: 'The environment' })
      .option('tag', { type: 'string', demandOption: true, describe: 'The tag to run, e.g. 1.4.1' })
      .option('reason', { type: 'string', describe: 'Why, kept as a comment beside the pin (one line)' })
      .epilogue(
        'Writes environments.<env>.image: {tag: <tag>, autoUpdate: false} into apps/<name>.yaml (comments ' +
          'and layout kept), the reason as the comment `# pinned: <reason>` on the autoUpdate line, ' +
          'and renders the project. Not auto-updated, the service leaves the ImageUpdater, ' +
          "and its .argocd-source-<app>.yaml (Image Updater's write-back, " +
          'which Argo CD applies over the kustomization) is removed from dist/ and, on the next publish, ' +
          'from the devops repository, so the pinned tag is what runs. `app list` shows pins and their reasons; ' +
          '`app unpin` lets the policy move the tag again. ' +
          APP_EXIT_STATUS,
      ),
  handler: async (args: PinArgs) => {
    const r = await withProgress(args.progress, (p) =>
      pinService(args.project, args.name, args.env, String(args.tag), args.reason, { onPhase: p.phases() }),
    );
    if (r.unchanged !== undefined) {
      process.stdout.write(`gitops-synth: ${r.service} is ${r.unchanged}; nothing changed\n`);
      return;
    }
    process.stdout.write(
      `gitops-synth: pinned ${r.service} in ${r.environment} to ${r.tag} (was ` +
        `${r.before.tag}${r.before.autoUpdate ? ', moved by the image policy' : ', pinned'}) ` +
        `in ${r.file}${r.reason ? `: ${r.reason}` : ''}\n`,
    );
    if (r.reasonNotWritten)
      process.stdout.write(
        `gitops-synth: note: the reason could not be written as a comment in this layout of ${r.file}; ` +
          `add it by hand\n`,
      );
    report(r.change!.synth);
    process.stdout.write(
      `gitops-synth: publish to roll ${r.environment} to ${r.tag}; gitops-synth app unpin ${r.service} --env ` +
        `${r.environment} lets the policy move it again\n`,
    );
  },
};

export const unpinCommand: CommandModule<GlobalOptions, UnpinArgs> = {
  command: 'unpin <name>',
  describe: 'Undo `app pin`: the image policy moves the tag again, starting from the pinned one',
  builder: (y) =>
    examples(y, [['$0 app unpin api --env prod', 'let the semver policy move prod again']])
      .positional('name', { type: 'string', demandOption: true, describe: 'The service' })
      .option('env', { type: 'string', demandOption: true, describe: 'The environment' })
      .epilogue(
        'Removes the autoUpdate: false (and its pinned comment) that `app pin` wrote; ' +
          'when the spec does not turn auto-update on elsewhere, writes environments.<env>.image.autoUpdate: ' +
          'true. The tag stays: it is the initial tag the policy moves from, ' +
          'and it must be one the policy could pick (otherwise nothing changes and the problem is shown). ' +
          APP_EXIT_STATUS,
      ),
  handler: async (args: UnpinArgs) => {
    const r = await withProgress(args.progress, (p) =>
      unpinService(args.project, args.name, args.env, { onPhase: p.phases() }),
    );
    if (r.unchanged !== undefined) {
      process.stdout.write(`gitops-synth: ${r.service} is ${r.unchanged}; nothing changed\n`);
      return;
    }
    process.stdout.write(
      `gitops-synth: unpinned ${r.service} in ${r.environment} (${r.file}): the image policy moves it from ${r.tag}\n`,
    );
    report(r.change!.synth);
  },
};

function report(synth: SynthResult): void {
  process.stdout.write(renderedLine(synth));
  if (synth.overriding.length)
    process.stdout.write(
      `gitops-synth: removed Image Updater's write-back (${synth.overriding.join(', ')}), ` +
        `which would override the pinned tag\n`,
    );
}
