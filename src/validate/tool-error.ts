import type { Tool } from './tools.js';

/**
 * A tool gitops-synth runs is missing or broken: not a problem of the specs
 * nor a bug, so the CLI prints the message (which names the binary and how
 * to restore it) without a stack trace and exits 2.
 */
export class ToolError extends Error {
  constructor(
    readonly tool: Tool,
    readonly binary: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}
