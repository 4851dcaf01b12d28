import { withProgress } from '../../progress.js';
import { createInterface } from 'node:readline/promises';
import type { CommandModule } from 'yargs';
import { describeClaim } from '../../../lifecycle/claims.js';
import { LifecycleError } from '../../../lifecycle/errors.js';
import {
  applicationDeletionCommands,
  planRemoval,
  purgeScript,
  removeService,
  type RemovalPlan,
} from '../../../lifecycle/removal.js';
import { examples } from '../../help.js';
import type { GlobalOptions } from '../../main.js';
import { APP_EXIT_STATUS } from './shared.js';
import { renderedLine, UsageError } from '../../output.js';

interface RemoveArgs extends GlobalOptions {
  name: string;
  purgeVolumes?: boolean;
  yes: boolean;
}

export const removeCommand: CommandModule<GlobalOptions, RemoveArgs> = {
  command: 'remove <name>',
  describe:
    'Remove apps/<name>.yaml and render the project; its volumes stay in the cluster (named in the output) ' +
    'unless --purge-volumes',
  builder: (y) =>
    examples(y, [
      ['$0 app remove flower', 'remove a service, keep its volumes'],
      [
        '$0 app remove cache --purge-volumes --yes > purge-cache.sh',
        'remove it; write the script that deletes its volumes',
      ],
    ])
      .positional('name', { type: 'string', demandOption: true, describe: 'The service' })
      .option('purge-volumes', {
        type: 'boolean',
        default: false,
        describe:
          'Also print (to stdout) a bash script that deletes its Applications and exactly its claims, ' +
          'with all their data; needs confirmation',
      })
      .option('yes', {
        type: 'boolean',
        default: false,
        describe: 'Confirm --purge-volumes without the prompt (required when stdin is not a terminal)',
      })
      .epilogue(
        'Refused while another service references it (dependsOn, volumes[].from, ${service:<name>}); ' +
          'the message names each reference. The ApplicationSets run with applicationsSync: create-update, ' +
          "so Argo CD keeps the service's Applications (and their pods) after the folder leaves the devops " +
          'repository: the output gives the kubectl commands that delete them once the removal is published. ' +
          'Nothing runs against the cluster: --purge-volumes prints the script, ' +
          'to be reviewed and run by a person. ' +
          APP_EXIT_STATUS,
      ),
  handler: async (args: RemoveArgs) => {
    const plan = planRemoval(args.project, args.name);
    if (args.purgeVolumes && !args.yes) await confirmPurge(plan);
    const result = await withProgress(args.progress, (p) => removeService(plan, { onPhase: p.phases() }));
    // With --purge-volumes stdout carries only the script, so it can be redirected into a file.
    const say = (text: string) => (args.purgeVolumes === true ? process.stderr : process.stdout).write(text);
    say(`gitops-synth: removed ${plan.file}\n`);
    say(renderedLine(result.synth));
    say(remainsInCluster(plan, args.purgeVolumes === true));
    if (args.purgeVolumes) process.stdout.write(purgeScript(plan));
  },
};

/** Asks on the terminal; without one, --yes is the only way to confirm (a usage error). */
async function confirmPurge(plan: RemovalPlan): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new UsageError(
      '--purge-volumes deletes data: confirm it at the prompt on a terminal, or pass --yes; nothing was changed',
    );
  }
  const claims = plan.environments.flatMap((e) =>
    e.claims.map((c) => `  ${e.environment} (namespace ${e.namespace}): ${describeClaim(c)}`),
  );
  const volumes = claims.length ? 'these volumes with all their data' : 'its claims (it owns none)';
  process.stderr.write(
    `gitops-synth: this removes ${plan.file} and prints a script that deletes the Applications of ` +
      `${plan.service} and ${volumes}:\n${claims.join('\n')}${claims.length ? '\n' : ''}`,
  );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`Type the service name (${plan.service}) to confirm: `)).trim();
    if (answer !== plan.service)
      throw new LifecycleError(
        `not confirmed (expected "${plan.service}", got ${JSON.stringify(answer)}); nothing was changed`,
      );
  } finally {
    rl.close();
  }
}

function remainsInCluster(plan: RemovalPlan, purge: boolean): string {
  const lines: string[] = [];
  const claims = plan.environments.filter((e) => e.claims.length);
  if (!plan.environments.length)
    return `gitops-synth: ${plan.service} ran in no environment; nothing of it is in the cluster\n`;
  if (claims.length) {
    lines.push(
      purge
        ? 'Its volumes are still in the cluster with all their data; the script on stdout deletes exactly these:'
        : 'Its volumes stay in the cluster with all their data (Argo CD never prunes or deletes them: ' +
            'Prune=false,Delete=false):',
    );
    for (const e of claims)
      for (const c of e.claims) lines.push(`  ${e.environment} (namespace ${e.namespace}): ${describeClaim(c)}`);
  } else lines.push(`${plan.service} owns no volumes.`);
  lines.push(
    'The ApplicationSets run with applicationsSync: create-update, so Argo CD keeps the ' +
      `Application${plan.environments.length === 1 ? '' : 's'} ` +
      `${plan.environments.map((e) => e.application).join(', ')} and ` +
      `${plan.environments.length === 1 ? 'its' : 'their'} running pods.`,
  );
  if (purge)
    lines.push('The script on stdout deletes them and then the claims; review it, publish this removal, then run it.');
  else {
    lines.push(
      'Once this removal is published to the devops repository, delete them with their workloads (the claims stay):',
    );
    for (const cmd of applicationDeletionCommands(plan)) lines.push(`  ${cmd}`);
    lines.push(`(or: argocd app delete <application> --cascade)`);
  }
  return `${lines.join('\n')}\n`;
}
