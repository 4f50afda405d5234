// Error classes shared by hosts, stages and the engine. The engine decides from the class whether
// to retry (transient) or to stop the host (fatal); every fatal error carries a hint for a person.

export interface ErrorDetails {
  /** What a person should do about it. */
  hint?: string;
  /** The command line that failed, as run. */
  command?: string;
  code?: number;
  /** The last lines of the command's stderr. */
  stderrTail?: string;
}

/** Base of every error we raise ourselves. */
export class SriovLxcError extends Error {
  readonly hint: string | undefined;
  readonly command: string | undefined;
  readonly code: number | undefined;
  readonly stderrTail: string | undefined;
  constructor(message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.hint = details.hint;
    this.command = details.command;
    this.code = details.code;
    this.stderrTail = details.stderrTail;
  }
}

/** Connection refused/reset/timed out, SSH handshake failed: retried. */
export class TransportError extends SriovLxcError {}

/** The world has not settled yet (VFs not there yet, node still booting): verify is retried. */
export class NotReadyError extends SriovLxcError {}

/** A command exited non-zero where that is a failure. Fatal unless a stage catches it. */
export class CommandError extends SriovLxcError {}

/** A command ran longer than its timeout and was stopped. */
export class CommandTimeoutError extends SriovLxcError {}

/** The node is not fit and retrying cannot help (BIOS setting, missing hardware, bad config). */
export class FatalError extends SriovLxcError {}

/** Usage or inventory error: exit 2. */
export class UsageError extends SriovLxcError {}

/** Another run holds this host's lock: exit 3. */
export class LockedError extends SriovLxcError {}

/** SIGINT/SIGTERM arrived: the run stops between commands, the checkpoint as it is. */
export class InterruptedError extends SriovLxcError {}

/** A host key differs from the pinned one. Never retried. */
export class HostKeyError extends SriovLxcError {}

/** State on disk is unreadable or from a newer version. */
export class StateError extends SriovLxcError {}

export function isTransient(error: unknown): boolean {
  return error instanceof TransportError || error instanceof NotReadyError;
}

/** The last `lines` non-empty lines of a command's output, for messages. */
export function tail(text: string, lines = 8): string {
  return text.split('\n').filter((l) => l.trim() !== '').slice(-lines).join('\n');
}
