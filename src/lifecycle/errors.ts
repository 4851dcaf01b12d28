/**
 * A lifecycle command that cannot be carried out as asked: a bad argument, an
 * unknown service, a file that already exists, a service others still
 * reference. The message says what was wrong and what was expected; nothing
 * was changed when it is thrown.
 */
export class LifecycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LifecycleError';
  }
}

/**
 * A command line whose values are wrong whatever the project holds (a port
 * that is no number, a volume not written `<name>:<path>:<size>`): a usage
 * error, where other LifecycleErrors are refusals by the project.
 */
export class ArgumentError extends LifecycleError {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}
