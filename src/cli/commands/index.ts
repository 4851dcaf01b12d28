import type { CommandModule } from 'yargs';
import type { GlobalOptions } from '../main.js';
import { bootstrapCommand } from './bootstrap.js';
import { synthCommand } from './synth.js';
import { validateCommand } from './validate.js';
import { publishCommand } from './publish.js';
import { diffCommand } from './diff.js';
import { workflowsCommand } from './workflows.js';
import { appCommand } from './app/index.js';

/** Every command of the CLI, in the order `--help` lists them. One file per command. */
// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
export const COMMANDS: CommandModule<GlobalOptions, any>[] = [
  synthCommand,
  validateCommand,
  bootstrapCommand,
  diffCommand,
  publishCommand,
  workflowsCommand,
  appCommand,
];
