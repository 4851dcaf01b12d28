/** A folder gitops-synth may not write, or a tree holding what it did not write: exit 2, nothing changed. */
export class OwnershipError extends Error {
  constructor(
    message: string,
    /** The folder the command was asked to write (as given, resolved). */
    readonly folder: string,
  ) {
    super(message);
    this.name = 'OwnershipError';
  }
}
