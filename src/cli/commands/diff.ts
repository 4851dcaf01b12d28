import type { CommandModule } from 'yargs';
import { ABOUT } from './about.js';
import { diffProject } from '../../diff/compare.js';
import { formatMarkdown, formatText, reportJson } from '../../diff/format.js';
import { examples } from '../help.js';
import { jsonOption, writeJson } from '../json.js';
import type { GlobalOptions } from '../main.js';
import { CommandFailure, ExitWith, UsageFailure } from '../output.js';
import { withProgress } from '../progress.js';

interface DiffArgs extends GlobalOptions {
  format?: 'text' | 'markdown';
  json: boolean;
  color?: boolean;
  'work-dir'?: string;
}

/** Exit codes of `diff`, as scripts test them (those of diff(1)). */
export const DIFF_EQUAL = 0;
export const DIFF_DIFFERENT = 1;
export const DIFF_ERROR = 2;

export const diffCommand: CommandModule<GlobalOptions, DiffArgs> = {
  ...ABOUT.diff,
  builder: (y) =>
    examples(
      jsonOption(
        y
          .option('format', {
            choices: ['text', 'markdown'] as const,
            describe: 'text for a terminal or log; markdown for a pull-request comment or $GITHUB_STEP_SUMMARY',
            defaultDescription: 'text',
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
          }),
        'the report',
      ).check((a) => {
        // Not .conflicts(): yargs counts --json's default (false) as given.
        if (a.json && a.format !== undefined)
          throw new UsageFailure('--json and --format exclude each other: --json is for scripts, --format for people');
        return true;
      }),
      [
        ['$0 diff', 'what the next publish would change'],
        ['$0 diff --format markdown >> "$GITHUB_STEP_SUMMARY"', 'the same as a job summary'],
        ['$0 diff --json | jq .summary', 'the counts, for a script'],
      ],
    )
      .epilogue(
        'Reads the devops repository like publish (repository.{url,branch,path} in ' +
          'environments/_settings.yaml, credentials from the environment) and changes nothing: ' +
          'it fetches into a temporary folder (removed afterwards) or the --work-dir clone, ' +
          'and never touches a work tree. ' +
          "Image Updater's .argocd-source* files are not the generator's and count as differences only where " +
          'publish would remove them (beside a pinned service, or with a removed one). ' +
          'A tag bump or pin is summarised first (api: 1.4.2 → 1.4.3 (prod)). ' +
          'What publish would refuse is reported, not failed: the removals it needs --allow-removal for, and each ' +
          'change the API server refuses as an update, marked ! with its reason. ' +
          'Exit status (those of diff(1)): 0 equal; 1 different; 2 any error (a usage error, spec problems, ' +
          'an unreadable repository, an internal error).',
      )
      // Any error is 2, a wrong argument included (the handler's own errors come here as they are).
      .fail((message, err) => {
        throw err ?? new ExitWith(new UsageFailure(message), DIFF_ERROR);
      }),
  handler: async (args) => {
    let different: boolean;
    try {
      const report = await withProgress(args.progress, (p) =>
        diffProject({
          projectDir: args.project,
          workDir: args['work-dir'],
          onPhase: p.phases('reading the devops repository'),
        }),
      );
      if (args.json) writeJson('diff', reportJson(report));
      else if (args.format === 'markdown') process.stdout.write(formatMarkdown(report));
      else {
        const color = args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !process.env.CI);
        process.stdout.write(formatText(report, color));
      }
      different = report.units.length > 0;
    } catch (err) {
      throw new ExitWith(err, DIFF_ERROR);
    }
    if (different) throw new CommandFailure('', DIFF_DIFFERENT);
  },
};
