import { exitStatus } from '../../help.js';

/** The exit status of the commands that change apps/ and render. */
export const APP_EXIT_STATUS = exitStatus({
  0: 'done, and the project rendered',
  1:
    'refused by the project (an unknown or existing service, a reference to it, spec problems, ' +
    'output that failed validation); nothing was changed',
  2: 'a usage error (a missing, unknown or malformed argument; nothing was changed) or an internal error',
});

/** A repeatable option's values (yargs gives one value as a string, several as an array). */
export function repeated(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}
