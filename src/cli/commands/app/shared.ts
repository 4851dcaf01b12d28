import { LifecycleError } from '../../../lifecycle/errors.js';
import { UsageError } from '../../output.js';

/** Runs a lifecycle handler, turning its refusals into usage errors (exit 1, message as written). */
export function refusalsAsUsageErrors<A>(handler: (args: A) => Promise<void>): (args: A) => Promise<void> {
  return async (args) => {
    try {
      await handler(args);
    } catch (err) {
      if (err instanceof LifecycleError) throw new UsageError(err.message);
      throw err;
    }
  };
}

/** A repeatable option's values (yargs gives one value as a string, several as an array). */
export function repeated(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}
