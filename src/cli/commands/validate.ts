import type { CommandModule } from 'yargs';
import { ABOUT } from './about.js';
import { checkOutput } from '../../pipeline/check.js';
import { checkedOutputJson, outputLine, renderedJson } from '../check-report.js';
import { examples, exitStatus } from '../help.js';
import { jsonOption, writeJson } from '../json.js';
import type { GlobalOptions } from '../main.js';
import { withProgress } from '../progress.js';

interface ValidateArgs extends GlobalOptions {
  json: boolean;
}

export const validateCommand: CommandModule<GlobalOptions, ValidateArgs> = {
  ...ABOUT.validate,
  builder: (y) =>
    examples(jsonOption(y, 'the result'), [
      ['$0 validate', 'check the project in the current folder'],
      ['$0 validate --json', 'the same, for a script or an editor'],
    ]).epilogue(
      'Every folder is rendered, checked and built anew, with no cache (CI runs it on every commit: synth ' +
        'then builds only the folders that differ from dist/). ' +
        'A stale dist/ (not what synth would write now) is reported on a line of its own and is not a failure: ' +
        'synth --check fails on it and lists the files. ' +
        exitStatus({
          0: 'valid, whether or not dist/ is current',
          1: 'spec problems (each with file, line and field) or output that failed validation',
        }),
    ),
  handler: async (args) => {
    const result = await withProgress(args.progress, (p) =>
      checkOutput({ projectDir: args.project, onPhase: p.phases(), reuse: 'nothing' }),
    );
    if (args.json) {
      writeJson('validate', { ...renderedJson(result), output: checkedOutputJson(result) });
      return;
    }
    process.stdout.write(
      `gitops-synth: valid: ${result.services} service folders, ${result.objects} objects\n${outputLine(result)}`,
    );
  },
};
