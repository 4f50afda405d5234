// The one interface every stage talks to. A stage never knows whether the host is this machine
// (LocalHost, zx) or a node over SSH (SshHost, node-ssh).

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Kill the command after this long; the result then is a TransportError-free CommandTimeout. */
  timeoutMs?: number;
  /** Extra environment for the command (names validated, values passed literally). */
  env?: Readonly<Record<string, string>>;
  /** Data written to the command's standard input (text as UTF-8, or bytes). */
  stdin?: string | Uint8Array;
}

export interface WriteFileOptions {
  /** Octal permission bits, e.g. 0o644 (default) or 0o755 for scripts. */
  mode?: number;
  /**
   * The file's directory is made first when missing, with these permission bits (as `mkdir -p -m`:
   * a directory already there keeps its mode; directories made above it are private, 0700), in
   * the same round trip as the write.
   */
  directoryMode?: number;
}

export interface BootIdOptions {
  timeoutMs?: number;
}

export interface Host {
  /** The inventory name of the host ("node1"); used in messages and state, never in commands. */
  readonly name: string;
  /**
   * Runs argv (no shell; every element quoted) and resolves with its exit code and output.
   * Never rejects for a non-zero exit; rejects with TransportError when the connection fails and
   * with CommandTimeoutError when timeoutMs passes.
   */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Like exec, but a non-zero exit rejects with CommandError (command, code, stderr tail). */
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Writes atomically: a temporary file in the same directory, fsync, then rename. */
  writeFile(path: string, content: string, options?: WriteFileOptions): Promise<void>;
  /** Copies a local file to the host (atomic on the host side). */
  upload(localPath: string, remotePath: string, options?: WriteFileOptions): Promise<void>;
  /**
   * /proc/sys/kernel/random/boot_id, trimmed. With `timeoutMs`, a read that has no answer in time
   * rejects with TransportError and drops the connection: a node that lost power closes nothing,
   * and an open SSH connection to it would otherwise wait for the keepalives to give up (15 s).
   */
  bootId(options?: BootIdOptions): Promise<string>;
  /** Drops the connection (SSH); the next call reconnects. */
  disconnect(): Promise<void>;
  /** Releases everything; the host is unusable afterwards. */
  close(): Promise<void>;
}
