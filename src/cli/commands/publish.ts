import type { CommandModule } from 'yargs';
import { ABOUT } from './about.js';
import { SSH_KEY_FILE_ENV, TOKEN_ENV, TOKEN_USER_ENV } from '../../publish/credentials.js';
import { describeSource } from '../../publish/message.js';
import type { UnitChange } from '../../publish/plan.js';
import { DEFAULT_RETRY_DELAY_MS, DEFAULT_RETRY_FOR_MS, publish, PublishError } from '../../publish/publish.js';
import { noteLines } from '../../guard/format.js';
import { allowRemovalOption, removalAllowance } from '../allow-removal.js';
import { examples, exitStatus, SPEC_OR_OUTPUT_PROBLEMS } from '../help.js';
import type { GlobalOptions } from '../main.js';
import { CommandFailure, UsageError } from '../output.js';
import { withProgress } from '../progress.js';

interface PublishArgs extends GlobalOptions {
  'dry-run': boolean;
  'allow-dirty': boolean;
  'work-dir'?: string;
  'retry-timeout': number;
  'retry-delay': number;
  'allow-removal'?: string[];
}

export const publishCommand: CommandModule<GlobalOptions, PublishArgs> = {
  ...ABOUT.publish,
  builder: (y) =>
    examples(y, [
      ['$0 publish --dry-run', 'show what the next publish would commit'],
      [`${TOKEN_ENV}=… $0 publish`, 'publish with an https token'],
    ])
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Show what would change and the commit message; commit and push nothing',
      })
      .option('allow-dirty', {
        type: 'boolean',
        default: false,
        describe:
          'Publish even when apps/, environments/ or other files that feed the render have uncommitted changes; ' +
          'the commit says so in its trailers',
      })
      .option('work-dir', {
        type: 'string',
        describe:
          'Work clone of the devops repository, kept and reused: a folder that does not exist, an empty one, ' +
          'or one an earlier publish or diff made (any other folder is refused, exit 2)',
        defaultDescription: 'a temporary folder, removed afterwards',
      })
      .option('retry-timeout', {
        type: 'number',
        default: DEFAULT_RETRY_FOR_MS / 1000,
        describe:
          'Seconds to keep retrying refused pushes (someone pushed first); each retry fetches the new head and ' +
          'rebuilds the commit on it',
      })
      .option('retry-delay', {
        type: 'number',
        default: DEFAULT_RETRY_DELAY_MS,
        describe:
          'Longest first wait in ms after a refused push; doubles each retry (at most 8 s), ' +
          'each wait a random part of it',
      })
      .option('allow-removal', allowRemovalOption('the devops branch'))
      .epilogue(
        'The devops repository, branch and folder are repository.{url,branch,path} in environments/_settings.yaml. ' +
          'Refuses (exit 1) when files that feed the render (apps/, environments/, cdk8s.yaml, package files) ' +
          'differ from the checked-out commit, unless --allow-dirty. ' +
          `Credentials come from the environment only: ${TOKEN_ENV} (an https token, sent as a header, ` +
          `user ${TOKEN_USER_ENV} or x-access-token), ` +
          `${SSH_KEY_FILE_ENV} (an SSH key file), or the pipeline's own GIT_SSH_COMMAND/ssh-agent. ` +
          'They are never written to disk or printed. ' +
          "Image Updater's .argocd-source* files in rendered folders are kept, except beside a pinned service " +
          '(they would override the pin); the folder of a removed service goes, write-back file included. ' +
          'The commit message lists the image each changed service deploys. ' +
          'The branch and refs/gitops-synth/published/<branch> (the last publish) are pushed together, never forced; ' +
          'a branch whose history no longer holds the last publish is refused (exit 1). ' +
          "Compared with the branch, a render that removes an environment, more than half of an environment's " +
          'services (two at least) or every service is refused unless --allow-removal names what goes, and one ' +
          'that changes what the API server refuses to update unless the spec acknowledges it ' +
          '(recreate:, replaces:). ' +
          exitStatus({
            0: 'pushed, already up to date, or (--dry-run) shown',
            1:
              `${SPEC_OR_OUTPUT_PROBLEMS}, uncommitted changes, rewritten history, a refused removal or change, ` +
              'a devops repository that cannot be read, or pushes refused until --retry-timeout',
            2: 'the command could not run: a usage error (a refused --work-dir included) or an internal error',
          }),
      ),
  handler: async (args) => {
    const retryFor = args['retry-timeout'];
    if (!Number.isFinite(retryFor) || retryFor < 0 || retryFor > 3600)
      throw new UsageError(`--retry-timeout: expected seconds from 0 to 3600, got ${retryFor}`);
    if (!Number.isFinite(args['retry-delay']) || args['retry-delay'] < 0)
      throw new UsageError(`--retry-delay: expected milliseconds (0 or more), got ${args['retry-delay']}`);
    try {
      const removals = removalAllowance(args['allow-removal']);
      const result = await withProgress(args.progress, (p) =>
        publish({
          projectDir: args.project,
          dryRun: args['dry-run'],
          allowDirty: args['allow-dirty'],
          workDir: args['work-dir'],
          retryForMs: retryFor * 1000,
          retryDelayMs: args['retry-delay'],
          removals,
          log: (line) => p.print(`${line}\n`),
          onPhase: p.phases('publishing to the devops repository'),
        }),
      );
      const source = describeSource(result.source);
      const notes = noteLines(result.changes)
        .map((l) => `${l}\n`)
        .join('');
      if (result.outcome === 'up-to-date') {
        process.stdout.write(
          `gitops-synth: ${result.where} already holds what the specs render (${source}); nothing to commit\n${notes}`,
        );
        return;
      }
      const lines = unitLines(result.units);
      if (result.outcome === 'dry-run') {
        process.stdout.write(
          `gitops-synth: dry run: publishing ${source} would change ${result.where}` +
            `${result.base ? ` (at ${result.base.slice(0, 12)})` : ' (a new branch)'}:\n${lines}`,
        );
        if (result.overridingWriteBacks.length) process.stdout.write(overridingLine(result.overridingWriteBacks));
        process.stdout.write(
          `\nIt would commit with this message:\n\n${indent(result.message ?? '')}\n` +
            `Nothing was committed or pushed.\n${notes}`,
        );
        return;
      }
      process.stdout.write(
        `gitops-synth: published ${source} to ${result.where} as ${result.commit!.slice(0, 12)}` +
          `${result.attempts > 1 ? ` (after ${result.attempts} attempts)` : ''}:\n${lines}`,
      );
      if (result.removedWriteBacks.length)
        process.stdout.write(`Removed with their service folders: ${result.removedWriteBacks.join(', ')}\n`);
      if (result.overridingWriteBacks.length) process.stdout.write(overridingLine(result.overridingWriteBacks));
      for (const warning of result.warnings) process.stderr.write(`gitops-synth: warning: ${warning}\n`);
      process.stdout.write(notes);
    } catch (err) {
      if (err instanceof PublishError) throw new CommandFailure(err.message, 1);
      throw err;
    }
  },
};

/** Says which write-back files a pin removed, and why. */
export function overridingLine(files: readonly string[]): string {
  return (
    `Removed because the tag is pinned there (Image Updater's write-back would override the pin; ` +
    `git history keeps ${files.length === 1 ? 'it' : 'them'}): ${files.join(', ')}\n`
  );
}

function unitLines(units: readonly UnitChange[]): string {
  const width = Math.max(...units.map((u) => u.unit.length));
  return units
    .map((u) => `  ${u.unit.padEnd(width)}  ${u.status} (${u.files.length} file${u.files.length === 1 ? '' : 's'})\n`)
    .join('');
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? `    ${l}` : ''))
    .join('\n')
    .concat('\n');
}
