import type { CommandModule } from 'yargs';
import { ABOUT } from './about.js';
import { join, relative, resolve } from 'node:path';
import { formatPlan, planJson } from '../../bootstrap/format-plan.js';
import { planProject, renderBootstrap, writeBootstrap } from '../../bootstrap/render.js';
import { SCRIPT_FILE } from '../../bootstrap/script.js';
import { examples, exitStatus } from '../help.js';
import { jsonOption, writeJson } from '../json.js';
import type { GlobalOptions } from '../main.js';

interface BootstrapArgs extends GlobalOptions {
  print: boolean;
  json: boolean;
  out?: string;
}

export const bootstrapCommand: CommandModule<GlobalOptions, BootstrapArgs> = {
  ...ABOUT.bootstrap,
  builder: (y) =>
    examples(
      jsonOption(
        y
          .option('print', {
            type: 'boolean',
            default: false,
            describe: 'Show the plan (steps, versions, namespaces, secret names and keys) and write nothing',
          })
          .option('out', {
            type: 'string',
            describe: 'Rendered tree the bootstrap/ folder goes into',
            defaultDescription: '<project>/dist',
          }),
        'the plan (and what was written)',
      ),
      [
        ['$0 bootstrap --print', 'show what the script would do'],
        ['$0 bootstrap', 'write dist/bootstrap/bootstrap.sh'],
        ['DEVOPS_REPO_TOKEN=… bash dist/bootstrap/bootstrap.sh', 'then run it against the cluster kubectl points at'],
        ['$0 bootstrap --print --json', 'the plan, for a script'],
      ],
    ).epilog(
      'The script needs kubectl pointing at the cluster as cluster-admin, openssl, ' +
        'and network access to the install manifests; it asks to confirm the kubectl context (--yes skips ' +
        'that). It reads the devops repository credentials from DEVOPS_REPO_TOKEN (+ DEVOPS_REPO_USERNAME) ' +
        'for an https URL or DEVOPS_REPO_SSH_KEY_FILE for an SSH URL, and with single sign-on the GitHub OAuth ' +
        'app from DEX_GITHUB_CLIENT_ID and DEX_GITHUB_CLIENT_SECRET. Run it again at any time: it creates only ' +
        'what is missing and never overwrites or prints a secret. ' +
        exitStatus({
          0: 'written (or, with --print, shown)',
          1: 'spec or settings problems (each with file, line and field); nothing was written',
        }),
    ),
  handler: async (args) => {
    const plan = planProject(args.project);
    if (args.print) {
      if (args.json) writeJson('bootstrap', { written: null, plan: planJson(plan) });
      else process.stdout.write(formatPlan(plan));
      return;
    }
    const outDir = resolve(args.out ?? join(args.project, 'dist'));
    const written = await writeBootstrap(outDir, renderBootstrap(plan), args.project);
    if (args.json) {
      writeJson('bootstrap', {
        written: { dir: written.dir, files: written.files, script: join(written.dir, SCRIPT_FILE) },
        plan: planJson(plan),
      });
      return;
    }
    const dir = relative(process.cwd(), written.dir) || '.';
    process.stdout.write(
      `gitops-synth: wrote ${dir}/ (${written.files.join(', ')}) for Argo CD ${plan.argocd.version} and ` +
        `Image Updater ${plan.imageUpdater.version}\n` +
        `gitops-synth: run it against the cluster kubectl points at: bash ${join(dir, SCRIPT_FILE)}\n`,
    );
  },
};
