import { withProgress } from '../../progress.js';
import type { CommandModule } from 'yargs';
import { resumeService, suspendService, type SuspensionResult } from '../../../lifecycle/suspension.js';
import { examples } from '../../help.js';
import type { GlobalOptions } from '../../main.js';
import { APP_EXIT_STATUS } from './shared.js';
import { renderedLine } from '../../output.js';

interface SuspensionArgs extends GlobalOptions {
  name: string;
  env?: string;
}

export const suspendCommand: CommandModule<GlobalOptions, SuspensionArgs> = {
  command: 'suspend <name>',
  describe:
    'Scale a service to zero (replicas 0, no autoscaler, disruption budget or migration Job), ' +
    'keeping its volumes, config and image',
  builder: (y) =>
    examples(y, [['$0 app suspend flower --env prod', 'stop flower in prod only']])
      .positional('name', { type: 'string', demandOption: true, describe: 'The service' })
      .option('env', {
        type: 'string',
        describe: 'Only in this environment (writes environments.<env>.suspended)',
        defaultDescription: 'every environment (writes suspended: true at the top of the spec)',
      })
      .epilogue(
        'Writes suspended: true into apps/<name>.yaml (comments and layout kept) and renders the project. ' +
          `\`app resume\` removes exactly that key again. ${APP_EXIT_STATUS}`,
      ),
  handler: changeHandler(suspendService, 'suspended'),
};

export const resumeCommand: CommandModule<GlobalOptions, SuspensionArgs> = {
  command: 'resume <name>',
  describe:
    'Undo `app suspend`: remove the suspended key it wrote, so the spec is exactly as before, and render the project',
  builder: (y) =>
    examples(y, [['$0 app resume flower --env prod', 'start flower in prod again']])
      .positional('name', { type: 'string', demandOption: true, describe: 'The service' })
      .option('env', {
        type: 'string',
        describe: 'Only in this environment (removes environments.<env>.suspended)',
        defaultDescription: 'every environment (removes every suspended: true of the spec)',
      })
      .epilogue(APP_EXIT_STATUS),
  handler: changeHandler(resumeService, 'resumed'),
};

/** Runs `change` (suspend or resume) with the progress line, then reports it. */
function changeHandler(change: typeof suspendService, done: 'suspended' | 'resumed') {
  return async (args: SuspensionArgs): Promise<void> =>
    report(
      await withProgress(args.progress, (p) => change(args.project, args.name, args.env, { onPhase: p.phases() })),
      done,
      args.env,
    );
}

function report(r: SuspensionResult, done: 'suspended' | 'resumed', env: string | undefined): void {
  if (r.unchanged !== undefined) {
    process.stdout.write(`gitops-synth: ${r.service} is ${r.unchanged}; nothing changed\n`);
    return;
  }
  process.stdout.write(`gitops-synth: ${done} ${r.service} in ${r.environments.join(', ')} (${r.file})\n`);
  if (done === 'suspended') {
    process.stdout.write(
      `gitops-synth: ${r.service} is now suspended in ${r.suspendedIn.join(', ')}: replicas 0, ` +
        'no autoscaler, disruption budget or migration Job; volumes, config and image kept. ' +
        `Resume with: gitops-synth app resume ${r.service}${env ? ` --env ${env}` : ''}\n`,
    );
    const running = r.environments.filter((e) => !r.suspendedIn.includes(e));
    if (running.length)
      process.stdout.write(
        `gitops-synth: note: ${r.service} still runs in ${running.join(', ')}, ` +
          `where environments.<env>.suspended is false in ${r.file}\n`,
      );
  } else if (r.suspendedIn.length) {
    process.stdout.write(`gitops-synth: ${r.service} is still suspended in ${r.suspendedIn.join(', ')}\n`);
  }
  if (done === 'suspended') {
    for (const d of r.dependents)
      process.stdout.write(
        `gitops-synth: note: ${d.service} waits for ${r.service} at start-up in ${d.environment} ` +
          `(dependsOn); its new pods will not start while ${r.service} is suspended\n`,
      );
  }
  process.stdout.write(renderedLine(r.change!.synth));
}
