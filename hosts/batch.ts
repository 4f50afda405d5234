// Several read-only observations (files, command outputs) in one round trip: one POSIX sh script
// that runs each read in its own subshell, stdin from /dev/null, and frames its output, error
// output and exit code with a boundary the node cannot guess (random per batch). The script and the
// parser of what it prints are pure; observing-host.ts sends the script.
import { commandLine } from './quote.ts';
import type { ExecResult } from './host.ts';

/**
 * One observation: a file's content, or what a command prints (never a command that changes
 * anything, nor one that lists processes' arguments: it would print the batch's boundary).
 */
export type Read = { readonly file: string } | { readonly argv: readonly string[]; readonly timeoutMs?: number };

/** Exit codes of coreutils `timeout` when the read ran out of time (124) or could not start (125): not an observation. */
export const TIMED_OUT = new Set([124, 125]);

/** Exit code of a file read when the file does not exist (cat never exits 66), as SshHost.readFile. */
export const MISSING_FILE = 66;

/** The cache key of a read: the file's path or the command line as it would be sent. */
export function readKey(read: Read): string {
  return 'file' in read ? `file ${read.file}` : `argv ${commandLine(read.argv)}`;
}

/** The command a read runs, as messages name it. */
export function readCommand(read: Read): string {
  return 'file' in read ? commandLine(['cat', '--', read.file]) : commandLine(read.argv);
}

/**
 * The command (argv for Host.exec) that runs `reads` in order; `boundary` is hex the node has not
 * seen. No value is pasted into the script: the boundary, paths and argv words are its positional
 * parameters, which the script names by number ("${7}").
 */
export function batchArgv(reads: readonly Read[], boundary: string, options: { stopAtFailure?: boolean } = {}): string[] {
  if (!/^[0-9a-f]{16,}$/.test(boundary)) throw new Error('the batch boundary must be at least 16 hex digits');
  const params: string[] = [boundary];
  const ref = (word: string): string => {
    params.push(word);
    return `"\${${params.length}}"`;
  };
  const lines = reads.map((read, i) => {
    let body: string;
    if ('file' in read) {
      // The same test-then-cat as SshHost.readFile: a missing file is exit 66 and no output.
      const path = ref(read.file);
      body = `test -e ${path} || exit ${MISSING_FILE}; exec cat -- ${path}`;
    } else {
      const words = read.argv.map(ref).join(' ');
      // A read the stage bounds in time is bounded here too (coreutils timeout; -k: then SIGKILL).
      body = read.timeoutMs === undefined ? `exec ${words}` : `exec timeout -k 5 ${Math.max(1, Math.ceil(read.timeoutMs / 1000))} ${words}`;
    }
    const framed = `printf '%s %s\\n' "$1" ${i}; printf '%s %s\\n' "$1" ${i} >&2; (${body}) < /dev/null`;
    // Stopping: what ran is framed as always, the rest never starts (the script itself exits 0).
    return options.stopAtFailure ? `${framed}; r=$?; printf '\\n%s rc %s\\n' "$1" $r; [ $r -eq 0 ] || exit 0` : `${framed}; printf '\\n%s rc %s\\n' "$1" $?`;
  });
  return ['sh', '-c', lines.join('\n'), 'sh', ...params];
}

/** How many reads of a batch ran to their exit code (all of them, unless it stopped at a failure). Pure. */
export function framesRun(stdout: string, boundary: string): number {
  return stdout.split(`\n${boundary} rc `).length - 1;
}

/** Throws naming what is wrong with the batch's output (a cut or foreign output). */
function malformed(why: string): Error {
  return new Error(`the batched read's output is not what its script prints: ${why}`);
}

/** Each read's exit code, output and error output, in order, from what batchScript printed. Pure. */
export function parseBatch(stdout: string, stderr: string, boundary: string, count: number): ExecResult[] {
  const results: ExecResult[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const open = `${boundary} ${i}\n`;
    if (!stdout.startsWith(open, at)) throw malformed(`read ${i} does not start where the previous one ended`);
    const start = at + open.length;
    const close = stdout.indexOf(`\n${boundary} rc `, start);
    if (close < 0) throw malformed(`read ${i} has no exit code`);
    const end = stdout.indexOf('\n', close + 1 + boundary.length + 4);
    if (end < 0) throw malformed(`read ${i}'s exit code line is cut`);
    const code = Number(stdout.slice(close + 1 + boundary.length + 4, end));
    if (!Number.isInteger(code)) throw malformed(`read ${i}'s exit code is not a number`);
    results.push({ code, stdout: stdout.slice(start, close), stderr: errorOutput(stderr, boundary, i) });
    at = end + 1;
  }
  if (at !== stdout.length) throw malformed('output after the last read');
  return results;
}

function errorOutput(stderr: string, boundary: string, i: number): string {
  const open = `${boundary} ${i}\n`;
  const start = stderr.indexOf(open);
  if (start < 0) return '';
  const next = stderr.indexOf(`${boundary} ${i + 1}\n`, start + open.length);
  return stderr.slice(start + open.length, next < 0 ? undefined : next);
}
