import type { CommandModule } from 'yargs';
import { ABOUT } from './about.js';
import { join, resolve } from 'node:path';
import type { SynthResult } from '../../pipeline/pipeline.js';
import { type RunWitness, withRunRecord } from '../../pipeline/run-record.js';
import { allowRemovalOption, removalAllowance } from '../allow-removal.js';
import { checkedOutputJson, checkText, renderedJson } from '../check-report.js';
import { examples, exitStatus, SPEC_OR_OUTPUT_PROBLEMS } from '../help.js';
import { jsonOption, writeJson } from '../json.js';
import type { GlobalOptions } from '../main.js';
import { CommandFailure, EXIT_FAILED, renderedLine } from '../output.js';
import { withProgress } from '../progress.js';

interface SynthArgs extends GlobalOptions {
  out?: string;
  check: boolean;
  json: boolean;
  'allow-removal'?: string[];
}

export const synthCommand: CommandModule<GlobalOptions, SynthArgs> = {
  ...ABOUT.synth,
  builder: (y) =>
    examples(
      jsonOption(
        y
          .option('out', {
            type: 'string',
            describe: "Output folder (absent, empty, or gitops-synth's)",
            defaultDescription: '<project>/dist',
          })
          .option('allow-removal', allowRemovalOption('the output folder'))
          .option('check', {
            type: 'boolean',
            default: false,
            describe:
              'Write nothing; exit 1 when the output folder is not exactly what the specs render, ' +
              'listing the files that differ (for CI)',
          }),
        'the summary (or, with --check, the differences)',
      ),
      [
        ['$0 synth', 'render the project in the current folder'],
        ['$0 synth --project examples/webfarm', 'render another project'],
        ['$0 synth --allow-removal stage', 'confirm that environment stage goes'],
        ['$0 synth --check', 'fail when the committed dist/ is stale (CI)'],
      ],
    ).epilogue(
      'Compared with what the output folder holds, a render is refused (exit 1, nothing written) when an ' +
        'environment disappears, when an environment loses more than half of its services (two at least), or ' +
        'when no service is left, unless --allow-removal names what goes; and when it changes what the API ' +
        'server refuses to update (a StatefulSet claim template, a claim shrinking, a selector, a cluster IP), ' +
        'unless the spec acknowledges it (recreate:, or replaces: on a volume). The message names each one ' +
        'and how to confirm it. ' +
        exitStatus({
          0: 'written, or already current (with --check: current)',
          2:
            'the command could not run: a usage error, an output folder gitops-synth may not write (the project, ' +
            'apps/, a folder holding files of your own; nothing was changed), or an internal error',
          1:
            `${SPEC_OR_OUTPUT_PROBLEMS}, a refused render; with --check also an output folder that differs ` +
            'from the render',
        }),
    ),
  handler: async (args) => {
    if (args.check) return check(args);
    const removals = removalAllowance(args['allow-removal']);
    const fullRun = (witness?: RunWitness) =>
      withProgress(args.progress, async (p) => {
        const { synth } = await import('../../pipeline/pipeline.js');
        return synth({ projectDir: args.project, outDir: args.out, removals, onPhase: p.phases(), witness });
      });
    // An --allow-removal must name something the run removes: only a full run can tell.
    const run = removals.allow?.length
      ? { result: await fullRun(), fromRecord: false }
      : await withRunRecord(args.project, resolve(args.out ?? join(args.project, 'dist')), fullRun);
    const result = run.fromRecord ? asUnchanged(run.result) : run.result;
    if (args.json) {
      writeJson('synth', {
        check: false,
        ...renderedJson(result),
        output: {
          dir: result.outDir,
          written: !result.unchanged,
          preserved: result.preserved,
          overriding: result.overriding,
          foreign: result.foreign,
        },
        notes: result.changes.notes.map((paragraph) => paragraph.join('\n')),
      });
      return;
    }
    process.stdout.write(renderedLine(result));
    if (result.overriding.length)
      process.stdout.write(
        `gitops-synth: removed ${result.overriding.length} Image Updater ` +
          `file${result.overriding.length === 1 ? '' : 's'} of pinned services, ` +
          `which would override the pinned tag (${result.overriding.join(', ')})\n`,
      );
  },
};

/**
 * What the run remembered for the same inputs reported, as a run that finds the output holding it reports it:
 * nothing written, removed or checked now.
 */
function asUnchanged(result: SynthResult): SynthResult {
  return { ...result, unchanged: true, written: 0, removed: 0, overriding: [], recognised: false, checkedFolders: 0 };
}

/** `synth --check`: what synth would change, written nowhere; exit 1 when anything differs. */
async function check(args: SynthArgs): Promise<void> {
  const [{ checkOutput }, { treeIsCurrent }] = await Promise.all([
    import('../../pipeline/check.js'),
    import('../../write/tree-compare.js'),
  ]);
  const result = await withProgress(args.progress, (p) =>
    checkOutput({ projectDir: args.project, outDir: args.out, onPhase: p.phases(), reuse: 'builds' }),
  );
  const current = treeIsCurrent(result.differences);
  if (args.json) writeJson('synth', { check: true, ...renderedJson(result), output: checkedOutputJson(result) });
  else process.stdout.write(checkText(result));
  if (!current) throw new CommandFailure('', EXIT_FAILED);
}
