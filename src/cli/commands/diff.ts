import type { CommandModule } from 'yargs';
import { diffProject } from '../../diff/compare.js';
import { formatMarkdown, formatText } from '../../diff/format.js';
import { PublishError } from '../../publish/publish.js';
import { WorkDirRefused } from '../../publish/work-dir.js';
import type { GlobalOptions } from '../main.js';
import { CommandFailure, reportError } from '../output.js';

interface DiffArgs extends GlobalOptions {
  format: 'text' | 'markdown';
  color?: boolean;
  'work-dir'?: string;
}

/** Exit codes of `diff`, as scripts test them. */
export const DIFF_EQUAL = 0;
export const DIFF_DIFFERENT = 1;
export const DIFF_ERROR = 2;

export const diffCommand: CommandModule<GlobalOptions, DiffArgs> = {
  command: 'diff',
  describe:
    'Compare what the specs render now with what the devops repository holds: per environment and service, the objects added, removed and changed, with a unified diff of each change',
  builder: (y) =>
    y
      .option('format', {
        choices: ['text', 'markdown'] as const,
        default: 'text' as const,
        describe: 'text for a terminal or log; markdown for a pull-request comment or $GITHUB_STEP_SUMMARY',
      })
      .option('color', {
        type: 'boolean',
        describe: 'Colour the text format',
        defaultDescription: 'on a terminal, unless NO_COLOR or CI is set',
      })
      .option('work-dir', {
        type: 'string',
        describe:
          'Work clone of the devops repository, kept and reused: a folder that does not exist, an empty one, ' +
          'or one an earlier publish or diff made (any other folder is refused)',
        defaultDescription: 'a temporary folder, removed afterwards',
      })
      .epilogue(
        'Reads the devops repository like publish (repository.{url,branch,path} in environments/_settings.yaml, credentials from the environment) and changes nothing: ' +
          'it fetches into a temporary folder (removed afterwards) or the --work-dir clone, and never touches a work tree. ' +
          "Image Updater's .argocd-source* files are not the generator's and count as differences only where publish would remove them (beside a pinned service, or with a removed one). A tag bump or pin is summarised first (api: 1.4.2 → 1.4.3 (prod)). Exit 0 when equal, 1 when different, 2 on any error.",
      )
      // "2 on any error" includes a wrong argument, unlike other commands' usage errors (1).
      .fail((message, err) => {
        throw err ?? new CommandFailure(`${message}\nRun gitops-synth diff --help for usage.`, DIFF_ERROR);
      })
      .example('$0 diff', 'what the next publish would change')
      .example('$0 diff --format markdown >> "$GITHUB_STEP_SUMMARY"', 'the same as a job summary'),
  handler: async (args) => {
    let different: boolean;
    try {
      const report = await diffProject({ projectDir: args.project, workDir: args['work-dir'] });
      const color = args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !process.env.CI);
      process.stdout.write(args.format === 'markdown' ? formatMarkdown(report) : formatText(report, color));
      different = report.units.length > 0;
    } catch (err) {
      if (err instanceof PublishError || err instanceof WorkDirRefused)
        process.stderr.write(`gitops-synth: ${err.message}\n`);
      else reportError(err);
      throw new CommandFailure('', DIFF_ERROR);
    }
    if (different) throw new CommandFailure('', DIFF_DIFFERENT);
  },
};
