// Several commands that change the node, sent in one round trip: an apply that runs N commands
// one after the other cost N SSH exchanges (a channel, an exec, its replies: ~1.5 ms of the
// controller's CPU each, profiled), where one script running them in order costs one. The framing
// is the batched reads' (batch.ts): every word a positional parameter, each command in its own
// subshell without input, its output, error output and exit code framed by a random boundary, so
// a failure is still the failing command's own, named by its own command line.
import { randomBytes } from 'node:crypto';
import { CommandError } from '../core/errors.ts';
import { batchArgv, framesRun, parseBatch } from './batch.ts';
import { commandFailed } from './command-failure.ts';
import type { ExecResult, Host } from './host.ts';
import { commandLine } from './quote.ts';

export interface SequenceOptions {
  /**
   * Run every command whatever the others' exit codes (the caller reports the failures); by
   * default the sequence stops at the first failure and the commands after it never start.
   */
  keepGoing?: boolean;
  /** A bound on the whole sequence, as ExecOptions.timeoutMs. */
  timeoutMs?: number;
}

/**
 * Runs `commands` in order on `host` in one round trip and returns each one's result (only those
 * that ran). Without keepGoing the first non-zero exit rejects with the CommandError that host.run
 * of that command alone would raise (its command line, exit code and error output).
 */
export async function runSequence(host: Host, commands: readonly (readonly string[])[], options: SequenceOptions = {}): Promise<ExecResult[]> {
  if (commands.length === 0) return [];
  const boundary = randomBytes(16).toString('hex');
  const argv = batchArgv(commands.map((c) => ({ argv: c })), boundary, { stopAtFailure: !options.keepGoing });
  const whole = await host.exec(argv, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  let results: ExecResult[];
  try {
    results = parseBatch(whole.stdout, whole.stderr, boundary, framesRun(whole.stdout, boundary));
  } catch (error) {
    throw new CommandError(`the sequence of ${commands.length} commands on ${host.name} did not report as its script does (exit code ${whole.code}): ${(error as Error).message}`, {
      command: commandLine(commands[0]!),
      code: whole.code,
      hint: 'the node\'s /bin/sh or the connection cut the script short; check the node and run the stage again',
    }, { cause: error });
  }
  const failed = results.findIndex((r) => r.code !== 0);
  if (!options.keepGoing && failed >= 0) throw commandFailed(host.name, commandLine(commands[failed]!), results[failed]!);
  // Every command reports (keepGoing, or no failure to stop at), unless the shell itself was
  // stopped (killed, cut): a caller reporting the failures must not take the rest for done.
  if (results.length < commands.length) {
    throw new CommandError(`on ${host.name} only ${results.length} of ${commands.length} commands ran (the script exited with code ${whole.code}); ${commandLine(commands[results.length]!)} did not start`, {
      command: commandLine(commands[results.length]!),
      code: whole.code,
      hint: 'check the node and run the stage again',
    });
  }
  return results;
}
