import type { Options } from 'yargs';
import { parseAllowRemoval, type RemovalAllowance } from '../guard/removals.js';
import { UsageError } from './output.js';

/** `--allow-removal`, shared by synth and publish: names exactly what may go, never a blanket --force. */
export function allowRemovalOption(comparedWith: string) {
  return {
    type: 'string' as const,
    array: true as const,
    requiresArg: true,
    describe:
      `Confirm removals compared with ${comparedWith}: an environment (stage) or environment/service (prod/api), ` +
      'comma-separated or repeated; each must name something this run removes',
  } satisfies Options;
}

export function removalAllowance(values: readonly string[] | undefined): RemovalAllowance {
  try {
    return { allow: parseAllowRemoval(values ?? []) };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
