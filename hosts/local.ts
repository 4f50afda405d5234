// The Host that is this machine (`--local`), running commands with zx.
//
// zx always hands a command line to a shell; we make that shell invisible: POSIX quoting from
// quote.ts for every argument and `exec`, so /bin/sh replaces itself with the program and nothing
// is interpreted. Each command gets its own process group (detached), so a timeout kills the
// program and everything it started.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { constants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CommandTimeoutError, FatalError } from '../core/errors.ts';
import { commandFailed } from './command-failure.ts';
import type { ExecOptions, ExecResult, Host, WriteFileOptions } from './host.ts';
import { commandEnv } from './command-env.ts';
import { checkEnvName, commandLine, shellQuote } from './quote.ts';

const DEFAULT_MODE = 0o644;

// zx writes `input` to the child's stdin without an error listener: a program that exits without
// reading it would crash the whole process with EPIPE. zx also passes an empty argument list
// together with `shell`, which Node 24 reports as deprecated (DEP0190).
function spawnWithQuietStdin(command: string, _args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, options);
  child.stdin?.on('error', () => undefined);
  return child;
}

/**
 * zx's shell, loaded on first use: a run over SSH never needs it, and its import cost every
 * controller start ~0.1 CPU-s (measured).
 */
let shell: Promise<typeof import('zx').$> | undefined;
function sh(): Promise<typeof import('zx').$> {
  shell ??= import('zx').then(({ $ }) =>
    $({
      shell: '/bin/sh',
      prefix: '',
      postfix: '',
      quote: shellQuote,
      nothrow: true,
      quiet: true,
      verbose: false,
      detached: true,
      spawn: spawnWithQuietStdin as unknown as typeof spawn,
    }),
  );
  return shell;
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`invalid file mode ${mode}: use permission bits like 0o644`);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp.${process.pid}.${randomBytes(8).toString('hex')}`);
}

/**
 * Refuses a directory everyone can write that is not sticky: anyone could swap the temporary file
 * for a link between our steps (in a sticky one, like /tmp, only we can rename or remove ours).
 */
async function checkDirectory(path: string): Promise<void> {
  const directory = dirname(path);
  const mode = (await stat(directory)).mode;
  if ((mode & 0o002) !== 0 && (mode & 0o1000) === 0) {
    throw new FatalError(`refusing to write ${path}: ${directory} is writable by everyone (mode ${(mode & 0o7777).toString(8)}) and not sticky, so anyone could swap the file being written`, {
      hint: `chmod o-w ${directory} (or chmod +t ${directory})`,
    });
  }
}

/**
 * `mkdir -p -m mode`, as the SSH host's write script runs it: the directories made above `directory`
 * are private (0700), `directory` gets `mode` when it is made, and one already there keeps its own.
 */
async function makeDirectory(directory: string, mode: number): Promise<void> {
  checkMode(mode);
  await mkdir(dirname(directory), { recursive: true, mode: 0o700 });
  try {
    await mkdir(directory, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return;
  }
  // mkdir's mode passes through the umask; `mkdir -m` sets it as given. Through a descriptor of
  // the directory just made (no link followed: the parent may be writable by others).
  const handle = await open(directory, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
  try {
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a temporary file next to `path` through one descriptor (created O_EXCL with a private
 * name: never a link someone planted), sets `mode` on that descriptor, fsyncs, renames it over
 * `path` (which replaces a link there instead of following it) and fsyncs the directory.
 */
async function replaceAtomically(path: string, options: WriteFileOptions, fill: (file: FileHandle) => Promise<void>): Promise<void> {
  const mode = options.mode ?? DEFAULT_MODE;
  checkMode(mode);
  if (options.directoryMode !== undefined) await makeDirectory(dirname(path), options.directoryMode);
  await checkDirectory(path);
  const temp = tempNameFor(path);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await fill(handle);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The exit code a shell reports for a program killed by `signal`. */
function signalExitCode(signal: NodeJS.Signals | null): number {
  return 128 + (signal ? constants.signals[signal] : 0);
}

export class LocalHost implements Host {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = commandLine(argv);
    for (const name of Object.keys(options.env ?? {})) checkEnvName(name);
    const running = (await sh())({ input: Buffer.from(options.stdin ?? ''), env: { ...process.env, ...commandEnv(options.env) } })`exec ${[...argv]}`;
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (running.pid === undefined) return;
            try {
              process.kill(-running.pid, 'SIGKILL');
              timedOut = true;
            } catch {
              // The process group has just exited by itself.
            }
          }, options.timeoutMs);
    try {
      const output = await running;
      if (timedOut) {
        throw new CommandTimeoutError(`${command} did not finish within ${options.timeoutMs} ms on ${this.name} and was killed`, { command });
      }
      return { code: output.exitCode ?? signalExitCode(output.signal), stdout: output.stdout, stderr: output.stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  async run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) throw commandFailed(this.name, commandLine(argv), result);
    return result;
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async writeFile(path: string, content: string, options: WriteFileOptions = {}): Promise<void> {
    await replaceAtomically(path, options, (file) => file.writeFile(content));
  }

  async upload(localPath: string, remotePath: string, options: WriteFileOptions = {}): Promise<void> {
    await replaceAtomically(remotePath, options, async (file) => file.writeFile(await readFile(localPath)));
  }

  async bootId(): Promise<string> {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  }

  async disconnect(): Promise<void> {}

  async close(): Promise<void> {}
}
