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
