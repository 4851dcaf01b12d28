import type { CommandModule } from 'yargs';
import type { GlobalOptions } from '../main.js';
import { synthCommand } from './synth.js';
import { validateCommand } from './validate.js';

/** Every command of the CLI, in the order `--help` lists them. One file per command. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command has its own argument type
export const COMMANDS: CommandModule<GlobalOptions, any>[] = [synthCommand, validateCommand];
