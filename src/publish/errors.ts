/** A publish or diff that could not finish; the message is free of credentials and says what to do. Exit 1. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

/** A git failure, its text already free of credentials. */
export class GitFailure extends Error {
  constructor(
    readonly operation: string,
    readonly detail: string,
  ) {
    super(`${operation} failed: ${detail}`);
    this.name = 'GitFailure';
  }
}

/** A work folder that must not be used; the message says why and what is expected. Exit 2. */
export class WorkDirRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkDirRefused';
  }
}
