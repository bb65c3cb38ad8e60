// The CLI's errors. A UserError is a mistake the user can fix: main.ts prints its one sentence (and the
// fix) and exits non-zero, never with a stack trace. Anything else is a bug: its stack goes to our log.

export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    /** One sentence: what to do about it. */
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The command has already said what went wrong (e.g. doctor's report); exit with this code. */
export class ExitCode extends Error {
  override name = 'ExitCode';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
