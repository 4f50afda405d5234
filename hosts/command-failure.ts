// The error every Host's run() raises for a non-zero exit, so stages see the same thing whatever
// the transport.

import { CommandError, tail } from '../core/errors.ts';
import type { ExecResult } from './host.ts';

const OBVIOUS_HINTS: Readonly<Record<number, (host: string) => string>> = {
  126: (host) => `exit code 126 means a program is not executable on ${host}: check its permissions`,
  127: (host) => `exit code 127 means a program was not found on ${host}: install it or check PATH`,
};

/** A CommandError naming the command line, its exit code and the tail of its stderr. */
export function commandFailed(hostName: string, command: string, result: ExecResult): CommandError {
  const hint = OBVIOUS_HINTS[result.code]?.(hostName);
  return new CommandError(`${command} failed with exit code ${result.code} on ${hostName}`, {
    command,
    code: result.code,
    stderrTail: tail(result.stderr),
    ...(hint ? { hint } : {}),
  });
}
