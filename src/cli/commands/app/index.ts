import type { CommandModule } from 'yargs';
import { ABOUT } from '../about.js';
import type { GlobalOptions } from '../../main.js';
import { addCommand } from './add.js';
import { listCommand } from './list.js';
import { pinCommand, unpinCommand } from './pin.js';
import { removeCommand } from './remove.js';
import { resumeCommand, suspendCommand } from './suspend.js';

/** `gitops-synth app <subcommand>`: manage services without hand-editing their specs. */
export const appCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  ...ABOUT.app,
  builder: (y) =>
    y
      .command(addCommand)
      .command(listCommand)
      .command(suspendCommand)
      .command(resumeCommand)
      .command(pinCommand)
      .command(unpinCommand)
      .command(removeCommand)
      .demandCommand(
        1,
        'Name an app subcommand: add, list, suspend, resume, pin, unpin or remove; see gitops-synth app --help',
      ),
  handler: () => undefined,
};
