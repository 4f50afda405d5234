// The Host that is a node over SSH (node-ssh 13 on ssh2).
//
// - Commands go through ssh2's `exec` only, as one quoted command line (quote.ts), so the remote
//   login shell interprets nothing.
// - The connection is opened lazily and reopened under p-retry when it was lost or refused. Only
//   what cannot have started a command is retried (connecting, a refused channel): a command that
//   was running when the connection dropped is reported as a TransportError, never re-run.
// - Host keys are verified before authentication (known-hosts.ts).

import { readFile } from 'node:fs/promises';
import { Socket, type TcpNetConnectOpts } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { constants } from 'node:os';
import { NodeSSH, type Config } from 'node-ssh';
import pRetry, { AbortError } from 'p-retry';
import {
  CommandError,
  CommandTimeoutError,
  FatalError,
  SriovLxcError,
  TransportError,
  UsageError,
  tail,
} from '../core/errors.ts';
import { commandFailed } from './command-failure.ts';
import type { BootIdOptions, ExecOptions, ExecResult, Host, WriteFileOptions } from './host.ts';
import { prepareHostKeyCheck, type HostKeyPolicy } from './known-hosts.ts';
import { commandEnv } from './command-env.ts';
import { assertSsh2BindingSafe } from './ssh2-binding.ts';
import { commandLine, remoteCommandLine, withEnv } from './quote.ts';
import type { SshAlgorithms } from './ssh-config.ts';

export interface SshEndpoint {
  /** Address to connect to (after ~/.ssh/config). */
  host: string;
  port: number;
  username: string;
  /** Private key file (never logged, never copied). */
  privateKeyPath?: string;
  /** ssh-agent socket ($SSH_AUTH_SOCK). */
  agentSocket?: string;
  /** KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms from ssh_config, in ssh2's terms. */
  algorithms?: SshAlgorithms;
  /** AddressFamily inet / inet6. */
  family?: 4 | 6;
  /** ProxyJump: connect to these hosts first, each through the one before, and reach `host:port` through the last (direct-tcpip). */
  jumps?: HopEndpoint[];
}

/** A jump host: an endpoint with the host keys it is verified against (its own ssh_config's, or the inventory's). */
export interface HopEndpoint extends Omit<SshEndpoint, 'jumps'> {
  hostKeys: Pick<HostKeyPolicy, 'knownHostsFiles' | 'pinFile' | 'trustedFiles'>;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

/** What onRetry is told after a failed attempt that will be retried ("attempt 2/6"). */
export interface RetryNotice {
  host: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** Attempts in all (retries + 1). */
  attempts: number;
  retryDelayMs: number;
  error: TransportError;
}

export interface SshHostOptions {
  /** Inventory name, for messages. */
  name: string;
  endpoint: SshEndpoint;
  /** Where host keys are verified: strict file, or pins (TOFU) plus trusted files. */
  knownHosts: Pick<HostKeyPolicy, 'knownHostsFiles' | 'pinFile' | 'trustedFiles'>;
  /** Replace a changed pinned host key instead of refusing the connection. */
  acceptChangedHostKey: boolean;
  /** --dry-run: pin nothing (known-hosts.ts). */
  dryRun?: boolean;
  /** Told when a changed host key was accepted. */
  onWarning?: (message: string) => void;
  retry?: Partial<RetryPolicy>;
  onRetry?: (notice: RetryNotice) => void;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** TCP connect + SSH handshake + authentication. */
  readyTimeoutMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, minTimeoutMs: 500, maxTimeoutMs: 5000 };

// ssh2's types are not installed (node-ssh's typings refer to them): what we use of them.
interface Ssh2Client {
  setNoDelay(noDelay: boolean): void;
  forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number, callback: (error: Error | undefined, stream: unknown) => void): void;
  /** Throws "Not connected" when the connection is gone. */
  exec(command: string, options: Record<string, never>, callback: (error: Error | undefined, channel: Ssh2Channel) => void): void;
  on(event: 'close' | 'end', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  removeListener(event: 'error', listener: (error: Error) => void): void;
}
interface Ssh2Channel {
  close(): void;
  end(data?: string | Uint8Array): void;
  on(event: 'data', listener: (chunk: Buffer) => void): void;
  /** (code) on exit, (null, signal name, ...) when killed by a signal. */
  on(event: 'exit', listener: (code: number | null, signal?: string | null) => void): void;
  on(event: 'close', listener: () => void): void;
  stderr: { on(event: 'data', listener: (chunk: Buffer) => void): void };
}

/** Exit code of `sh -c` readFile's script when the file does not exist (cat never exits 66). */
const MISSING = 66;
/** The least time between two boot-id probes through a jump host (see bootId). */
const JUMP_PROBE_SPACING_MS = 500;
/** A new TCP connection attempt while the earlier ones go unanswered (see #accepting), at most this many at once. */
const ACCEPT_AGAIN_MS = 250;
const ACCEPT_IN_FLIGHT = 4;
/** The boot-id read, run by the login shell alone (no program found through PATH). */
export const BOOT_ID_READ = "read -r id < /proc/sys/kernel/random/boot_id && printf '%s\\n' \"$id\"";
const READ_SCRIPT = `test -e "$1" || exit ${MISSING}; exec cat -- "$1"`;
// Root writes into directories others may write (the benchmark directory, /tmp): nothing here
// follows a link planted there. The directory is refused when anyone may write it and it is not
// sticky (anyone could swap our temporary file); mktemp creates the temporary file (O_EXCL, a
// private name, 0600); chmod goes to that regular file, ours; `mv -T` renames it over the target,
// which replaces a link there instead of following it (-T: also one to a directory).
// The byte count ($3) is checked before the rename: when the controller dies mid-transfer, sshd
// closes the command's stdin and cat ends as if the content were complete.
const SAFE_DIRECTORY_CHECK = [
  'd=$(dirname -- "$1") && m=$(stat -L -c %a -- "$d") || exit',
  'if [ $(( 0$m & 2 )) -ne 0 ] && ! [ -k "$d" ]; then echo "refusing to write $1: $d is writable by everyone (mode $m) and not sticky, so anyone could swap the file being written; chmod o-w or +t $d" >&2; exit 1; fi',
];
const OWN_REGULAR_FILE = '[ -f "$t" ] && ! [ -L "$t" ] && [ -O "$t" ] || { echo "$t is no longer the file mktemp made; left alone" >&2; exit 1; }';
// With $4, the directory is made first (mkdir -p -m: one already there keeps its mode; the umask
// makes any made above it 0700), where a separate mkdir cost a round trip per state file.
const WRITE_SCRIPT = [
  'umask 077',
  '[ -z "$4" ] || mkdir -p -m "$4" -- "$(dirname -- "$1")" || exit',
  ...SAFE_DIRECTORY_CHECK,
  't=$(mktemp "$d/.$(basename -- "$1").XXXXXXXXXX") || exit',
  `trap 'rm -f -- "$t"' EXIT`,
  'cat > "$t" || exit',
  'n=$(wc -c < "$t")',
  // The temp file goes first: with the controller gone, writing to stderr kills the shell (SIGPIPE).
  '[ "$n" -eq "$3" ] || { rm -f -- "$t"; echo "$1: received $n of $3 bytes; left as it was" >&2; exit 1; }',
  OWN_REGULAR_FILE,
  'chmod "$2" "$t" && { sync -- "$t" 2>/dev/null || sync; } && mv -f -T -- "$t" "$1"',
].join('\n');

// execCommand rejections that prove the command was never requested: no connection, or the
// session channel was refused or never confirmed ("No response from server" is how ssh2 fails a
// channel still being opened when the connection closes). Anything else, e.g. "Unable to exec"
// or a reset while the exec request was out, may have started the command.
const NOT_STARTED = /^(not connected|no response from server|\(SSH\) channel open failure|channel is not open|no free channels available)/i;

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EPIPE', 'EAI_AGAIN']);
const TRANSIENT_MESSAGES = /timed out while waiting for handshake|connection lost before handshake|no response from server|keepalive timeout|not connected|channel open failure|socket hang up/i;

function octal(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`invalid file mode ${mode}: use permission bits like 0o644`);
  return mode.toString(8);
}

/**
 * Maps an error from connecting (node-ssh/ssh2/net) to ours: TransportError when retrying can
 * help (refused, reset, timed out), a fatal error with a hint otherwise.
 */
export function classifyConnectError(error: unknown, hostName: string, target: string): SriovLxcError {
  if (error instanceof SriovLxcError) return error;
  const e = error as { message?: string; code?: string; level?: string };
  const message = e.message ?? String(error);
  const cause = { cause: error };
  if ((e.code !== undefined && TRANSIENT_CODES.has(e.code)) || TRANSIENT_MESSAGES.test(message) || e.level === 'client-timeout') {
    return new TransportError(`cannot reach ${hostName} (${target}): ${message}`, { hint: 'check that the node is up and its sshd listens on that address and port' }, cause);
  }
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(message)) {
    return new FatalError(`${target} refused our authentication for ${hostName}: ${message}`, {
      hint: `check user, key and agent in the inventory; try: ssh -p PORT USER@HOST true`,
    }, cause);
  }
  if (/passphrase|encrypted/i.test(message)) {
    return new UsageError(`the private key for ${hostName} is encrypted`, { hint: 'add it to ssh-agent (ssh-add KEY) and run with SSH_AUTH_SOCK set: sriov-lxc then uses the agent for it' }, cause);
  }
  if (e.code === 'ENOTFOUND') {
    return new FatalError(`cannot resolve the address of ${hostName} (${target})`, { hint: 'check address in the inventory or HostName in ~/.ssh/config' }, cause);
  }
  return new FatalError(`cannot connect to ${hostName} (${target}): ${message}`, {}, cause);
}

/**
 * A TCP connection whose writes of one tick leave together. ssh2 hands the socket each packet in
 * two to four pieces (length, ciphertext, MAC tag) and a command's packets one after the other,
 * each its own write(2) and, with TCP_NODELAY, its own segment: 1.5 s of an 8-node provisioning
 * run's controller time went to those syscalls (profiled). Corked until the tick ends, they go as
 * one writev; nothing waits longer than the current tick.
 */
export function coalescingSocket(options: TcpNetConnectOpts): Socket {
  const socket = new Socket();
  // connect() puts Socket.prototype.write back (it undoes a write-after-end guard): wrapped after it.
  socket.connect(options);
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as Socket['write'];
  // ssh2 listens on the socket of a connection (and sets this on the sockets it makes itself).
  socket.setMaxListeners(0);
  return socket;
}

/**
 * ssh2 emits 'error' (a reset, a keepalive timeout, a write EPIPE from a node going down) at any
 * time, and an 'error' without a listener crashes the process. node-ssh listens only until 'ready'
 * and the client it makes is not ours before connect() resolves: an error queued with 'ready' (a
 * node rebooting just after our login) came before a listener attached after connect() and killed
 * the run with an unhandled "write EPIPE" (seen in the lab's reboot tests). So a listener is
 * attached the moment node-ssh stores its client; the loss itself is seen through 'close' and the
 * failing call.
 */
export function withErrorListener(ssh: NodeSSH): NodeSSH {
  let client: Ssh2Client | null = null;
  Object.defineProperty(ssh, 'connection', {
    configurable: true,
    enumerable: true,
    get: () => client,
    set: (next: Ssh2Client | null) => {
      if (next && next !== client) next.on('error', () => undefined);
      client = next;
    },
  });
  return ssh;
}

export class SshHost implements Host {
  readonly name: string;
  /** Commands sent (execCommand calls), for benchmarks of the transport. */
  roundTrips = 0;
  /**
   * Attempts at reaching the node that failed before a command started (refused, reset, timed
   * out, channel refused), whether retried here or given up: how flaky the way to the node was.
   */
  connectFailures = 0;
  /** SSH connections established: one for a whole workflow, plus the ones the reboot protocol opens. */
  connections = 0;

  readonly #endpoint: SshEndpoint;
  readonly #policy: HostKeyPolicy;
  readonly #retry: RetryPolicy;
  readonly #onRetry: ((notice: RetryNotice) => void) | undefined;
  readonly #keepaliveIntervalMs: number;
  readonly #keepaliveCountMax: number;
  readonly #readyTimeoutMs: number;
  #ssh: NodeSSH | undefined;
  #connecting: Promise<NodeSSH> | undefined;
  #closed = false;
  /** When the last boot-id probe through a jump host started (see bootId). */
  #lastJumpProbeAt = 0;
  /** A TCP connection to the node that #accepting found open, not yet used by a login. */
  #probe: Socket | undefined;

  constructor(options: SshHostOptions) {
    this.name = options.name;
    this.#endpoint = options.endpoint;
    this.#policy = {
      ...options.knownHosts,
      acceptChangedHostKey: options.acceptChangedHostKey,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.dryRun ? { dryRun: { pins: [] } } : {}),
    };
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#onRetry = options.onRetry;
    this.#keepaliveIntervalMs = options.keepaliveIntervalMs ?? 5000;
    this.#keepaliveCountMax = options.keepaliveCountMax ?? 3;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 15000;
  }

  get #target(): string {
    const { username, host, port } = this.#endpoint;
    return `${username}@${host}:${port}`;
  }

  /** One authenticated connection to `end`, its host key verified (and pinned) by its policy. */
  async #open(end: Omit<SshEndpoint, 'jumps'> | HopEndpoint, who: string, target: string, sock?: unknown): Promise<NodeSSH> {
    const { host, port, username, privateKeyPath, agentSocket } = end;
    await assertSsh2BindingSafe();
    // A hop's own files; the same acceptChangedHostKey, warnings and dry-run pins as the node's.
    const { knownHostsFiles: _node, ...shared } = this.#policy;
    const policy: HostKeyPolicy = 'hostKeys' in end ? { ...shared, ...end.hostKeys } : this.#policy;
    const check = await prepareHostKeyCheck(policy, who, host, port);
    const ssh = withErrorListener(new NodeSSH());
    const preferred = check.preferredAlgorithms;
    // The host key algorithms ssh_config names are used as given; otherwise those of the keys we know come first.
    const serverHostKey = end.algorithms?.serverHostKey ?? (preferred.length > 0 ? { remove: preferred, prepend: preferred } : undefined);
    const algorithms = { ...end.algorithms, ...(serverHostKey ? { serverHostKey } : {}) };
    let privateKey: string | undefined;
    try {
      // Read here, not by node-ssh: between our socket's connect and ssh2 listening on it nothing may wait.
      if (privateKeyPath) privateKey = await readFile(privateKeyPath, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the SSH key ${privateKeyPath} for ${who}: ${(error as Error).message}`, { hint: 'check key: in the inventory (or IdentityFile)' }, { cause: error });
    }
    // A first hop or the node itself: our own TCP socket (coalescingSocket; to the node, the one
    // #accepting left open if still open); a later hop: the channel through the one before.
    const own = sock ? undefined : ((end === this.#endpoint ? this.#takeProbe() : undefined) ?? coalescingSocket({ host, port, ...(end.family ? { family: end.family } : {}) }));
    // Straight to what we have: ssh2's default first asks for `none` (as OpenSSH's client does,
    // sshconnect2.c userauth_none), a round trip that only learns the methods sshd allows.
    const methods = [...(privateKey !== undefined ? ['publickey' as const] : []), ...(agentSocket ? ['agent' as const] : [])];
    const config: Config = {
      host,
      port,
      username,
      ...(privateKey !== undefined ? { privateKey } : {}),
      ...(agentSocket ? { agent: agentSocket } : {}),
      ...(methods.length > 0 ? { authHandler: methods } : {}),
      sock: (own ?? sock) as Config['sock'],
      readyTimeout: this.#readyTimeoutMs,
      keepaliveInterval: this.#keepaliveIntervalMs,
      keepaliveCountMax: this.#keepaliveCountMax,
      hostVerifier: (key: Buffer) => check.verify(key),
      ...(Object.keys(algorithms).length > 0 ? { algorithms } : {}),
    };
    try {
      await ssh.connect(config);
    } catch (error) {
      ssh.dispose();
      own?.destroy();
      throw check.refusal() ?? classifyConnectError(error, this.name, target);
    }
    try {
      await check.commit();
    } catch (error) {
      ssh.dispose();
      throw new FatalError(`cannot record the host key of ${who} in ${policy.pinFile}: ${(error as Error).message}`, {
        hint: 'check that the state directory is writable',
      }, { cause: error });
    }
    return ssh;
  }

  /** A direct-tcpip channel from `via` to `host:port`: the socket of the next connection. */
  async #forward(via: NodeSSH, viaTarget: string, host: string, port: number, what: string): Promise<unknown> {
    (via.connection as Ssh2Client).setNoDelay(true);
    try {
      return await new Promise<unknown>((resolve, reject) => {
        (via.connection as Ssh2Client).forwardOut('127.0.0.1', 0, host, port, (error, stream) => (error ? reject(error) : resolve(stream)));
      });
    } catch (error) {
      // Refused while the node reboots, like a refused TCP connection: retried.
      throw new TransportError(`cannot reach ${what} through the jump host ${viaTarget}: ${(error as Error).message}`, {
        hint: 'check that the node is up and that the jump host may forward to it (AllowTcpForwarding)',
      }, { cause: error });
    }
  }

  /**
   * The jump hosts in order, each reached through the one before (as ssh's ProxyJump chain), then
   * the node through the last; a failure closes what was opened.
   */
  async #connectOnce(): Promise<NodeSSH> {
    const jumps = this.#endpoint.jumps ?? [];
    const opened: NodeSSH[] = [];
    const closeJumps = (): void => {
      for (const jump of opened.reverse()) jump.dispose();
    };
    let ssh: NodeSSH;
    try {
      let sock: unknown;
      for (const [i, hop] of jumps.entries()) {
        const hopTarget = `${hop.username}@${hop.host}:${hop.port}`;
        const who = jumps.length === 1 ? `the jump host of ${this.name}` : `jump host ${i + 1} of ${jumps.length} of ${this.name}`;
        const hopSsh = await this.#open(hop, who, hopTarget, sock);
        opened.push(hopSsh);
        const next = jumps[i + 1];
        sock = await this.#forward(hopSsh, hopTarget, next?.host ?? this.#endpoint.host, next?.port ?? this.#endpoint.port, next ? `jump host ${i + 2} of ${jumps.length} of ${this.name} (${next.username}@${next.host}:${next.port})` : `${this.name} (${this.#target})`);
      }
      ssh = await this.#open(this.#endpoint, this.name, this.#target, sock);
    } catch (error) {
      closeJumps();
      throw error;
    }
    this.connections++;
    const client = ssh.connection as Ssh2Client;
    if (opened.length > 0) client.on('close', closeJumps);
    // Small request/reply packets: with Nagle's algorithm and delayed ACKs each exec waited ~40 ms
    // twice (measured on loopback: 90 ms per exec, 3 ms with TCP_NODELAY).
    client.setNoDelay(true);
    client.on('close', () => {
      if (this.#ssh === ssh) this.#ssh = undefined;
    });
    return ssh;
  }

  /** The open connection, or one attempt at opening it (shared by concurrent callers). */
  #connection(): Promise<NodeSSH> {
    if (this.#closed) return Promise.reject(new Error(`the connection to ${this.name} was closed`));
    if (this.#ssh?.isConnected()) return Promise.resolve(this.#ssh);
    this.#connecting ??= this.#connectOnce()
      .then((ssh) => {
        if (this.#closed) {
          ssh.dispose();
          throw new Error(`the connection to ${this.name} was closed`);
        }
        return (this.#ssh = ssh);
      })
      .finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  #forget(ssh: NodeSSH): void {
    if (this.#ssh === ssh) this.#ssh = undefined;
    ssh.dispose();
  }

  /**
   * Runs `operation` on a connection. Transient failures that `operation` reports as not started
   * (plain TransportError) reconnect and retry under the policy; anything else ends the retries.
   */
  async #withConnection<T>(operation: (ssh: NodeSSH) => Promise<T>, retries = this.#retry.retries): Promise<T> {
    const attempts = retries + 1;
    return pRetry(
      async () => {
        let ssh: NodeSSH;
        try {
          ssh = await this.#connection();
        } catch (error) {
          const classified = classifyConnectError(error, this.name, this.#target);
          throw classified instanceof TransportError ? classified : new AbortError(classified);
        }
        return operation(ssh);
      },
      {
        retries,
        minTimeout: this.#retry.minTimeoutMs,
        maxTimeout: this.#retry.maxTimeoutMs,
        randomize: true,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft, retryDelay }) => {
          if (error instanceof TransportError) this.connectFailures++;
          if (retriesLeft > 0 && error instanceof TransportError) {
            this.#onRetry?.({ host: this.name, attempt: attemptNumber, attempts, retryDelayMs: retryDelay, error });
          }
        },
        shouldRetry: ({ error }) => error instanceof TransportError,
      },
    );
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = remoteCommandLine(argv, commandEnv(options.env));
    // Messages name the command as the stage gave it, without the environment we add to every one.
    const shown = commandLine(argv);
    return this.#withConnection((ssh) => this.#execOn(ssh, command, shown, options));
  }

  async #execOn(ssh: NodeSSH, command: string, shown: string, options: ExecOptions): Promise<ExecResult> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let started = false;
    this.roundTrips++;
    const response = await new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      let channel: Ssh2Channel | undefined;
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              // sshd closes the channel only once the command exits: do not wait for that.
              timedOut = true;
              channel?.close();
              reject(new AbortError(this.#timeoutError(shown, options.timeoutMs ?? 0)));
            }, options.timeoutMs);
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        const message = (error as Error).message ?? String(error);
        if (!started && NOT_STARTED.test(message)) {
          // Nothing was started: safe to reconnect and try again.
          this.#forget(ssh);
          reject(new TransportError(`cannot run a command on ${this.name}: ${message}`, { command: shown }, { cause: error }));
        } else {
          reject(new AbortError(this.#lostError(shown, error)));
        }
      };
      // ssh2's own exec, not node-ssh's execCommand around it: that one decoded every chunk again
      // and checked its options on each call, 0.06-0.12 ms of the controller's 0.4 ms per command
      // (1000 commands over one connection to a lab node). The same steps: a connection error
      // before the channel opens fails the command, the input then EOF, the exit status.
      const client = ssh.connection as unknown as Ssh2Client | null;
      // node-ssh drops its client on dispose(): as ssh2 says of a closed one.
      if (!client) return fail(new Error('Not connected'));
      client.on('error', fail);
      // Without input the command reads /dev/null, so there is no EOF of ours to send (sshd ends
      // the channel when the command exits): a packet and a write(2) fewer per command, the
      // costliest part of a command for the controller (its share of the TCP path to the node).
      const line = options.stdin === undefined ? `${command} </dev/null` : command;
      try {
        client.exec(line, {}, (error, opened) => {
          client.removeListener('error', fail);
          if (error) return fail(error);
          started = true;
          channel = opened;
          if (timedOut) opened.close();
          let code: number | null = null;
          let signal: string | null = null;
          opened.on('data', (chunk) => stdout.push(chunk));
          opened.stderr.on('data', (chunk) => stderr.push(chunk));
          opened.on('exit', (exitCode, exitSignal) => {
            code = exitCode ?? null;
            signal = exitSignal ?? null;
          });
          opened.on('close', () => {
            clearTimeout(timer);
            resolve({ code, signal });
          });
          if (options.stdin !== undefined) opened.end(options.stdin);
        });
      } catch (error) {
        client.removeListener('error', fail);
        fail(error);
      }
    });
    if (response.code === null && response.signal === null) {
      // The channel closed without an exit status: the connection went away under the command.
      this.#forget(ssh);
      throw new AbortError(this.#lostError(shown, undefined));
    }
    const signalNumber = response.signal ? (constants.signals[response.signal as NodeJS.Signals] ?? 0) : 0;
    return {
      code: response.code ?? 128 + signalNumber,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    };
  }

  #timeoutError(command: string, timeoutMs: number): CommandTimeoutError {
    return new CommandTimeoutError(`${command} did not finish within ${timeoutMs} ms on ${this.name}; its channel was closed`, {
      command,
      hint: 'OpenSSH does not kill a command without a terminal when its channel closes: it may still be running on the node',
    });
  }

  #lostError(command: string, cause: unknown): TransportError {
    return new TransportError(
      `the connection to ${this.name} was lost while running ${command}; it was not re-run and may or may not have taken effect`,
      { command, hint: 'check the node; running the stage again is safe when its apply is idempotent' },
      cause === undefined ? undefined : { cause },
    );
  }

  async run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) throw commandFailed(this.name, commandLine(withEnv(argv, options?.env)), result);
    return result;
  }

  async readFile(path: string): Promise<string | undefined> {
    const argv = ['sh', '-c', READ_SCRIPT, 'sh', path];
    const result = await this.exec(argv);
    if (result.code === MISSING && result.stdout === '') return undefined;
    if (result.code !== 0) {
      const command = commandLine(argv);
      throw new CommandError(`cannot read ${path} on ${this.name} (exit code ${result.code})`, { command, code: result.code, stderrTail: tail(result.stderr) });
    }
    return result.stdout;
  }

  async writeFile(path: string, content: string, options: WriteFileOptions = {}): Promise<void> {
    await this.#write(path, content, options);
  }

  /** WRITE_SCRIPT with `content` on its standard input; the byte count it checks before the rename. */
  async #write(path: string, content: string | Uint8Array, options: WriteFileOptions): Promise<void> {
    const bytes = String(Buffer.byteLength(content));
    const directoryMode = options.directoryMode === undefined ? [] : [octal(options.directoryMode)];
    await this.run(['sh', '-c', WRITE_SCRIPT, 'sh', path, octal(options.mode ?? 0o644), bytes, ...directoryMode], { stdin: content });
  }

  /**
   * The local file's bytes through the same script as writeFile, on the command's standard input:
   * one command, where SFTP cost a command to make the temporary file, a session whose sshd starts
   * an sftp-server, and one to rename it; and an sshd hardened without the sftp subsystem works.
   * The file is read whole: driver tarballs are a few MB at most.
   */
  async upload(localPath: string, remotePath: string, options: WriteFileOptions = {}): Promise<void> {
    let content: Buffer;
    try {
      content = await readFile(localPath);
    } catch (error) {
      throw new CommandError(`cannot upload ${localPath} to ${this.name}: ${(error as Error).message}`, {
        hint: 'check that the local file exists and is readable',
      }, { cause: error });
    }
    await this.#write(remotePath, content, options);
  }

  /**
   * One connection attempt, no reconnects of our own: boot_id is what the reboot protocol polls,
   * and its callers retry on their own schedule. Our retries nested inside that poll backed off to
   * 5 s between connection attempts while the node was down, so the engine noticed a node back up
   * 0.6-3.3 s after its sshd was ready (lab, 4 reboots); one attempt per poll leaves the poll's own
   * interval as the bound.
   */
  async bootId(options: BootIdOptions = {}): Promise<string> {
    // Read by the login shell itself (POSIX `read` and `printf`, builtins of sh, dash, bash and
    // busybox sh): no `cat` for the node to start right when it is back, its first login busy.
    const command = BOOT_ID_READ;
    // Through a jump host the node may not even be reachable from here, and reaching it directly
    // is what the bastion is there to prevent: the attempt itself goes through the jump.
    if (!this.#endpoint.jumps && !this.#ssh?.isConnected()) await this.#accepting();
    // Through jump hosts every probe is a whole login on each bastion (their logs show each one), so
    // however fast the engine polls a rebooting node, at most one every JUMP_PROBE_SPACING_MS.
    if (this.#endpoint.jumps && !this.#ssh?.isConnected()) {
      const wait = this.#lastJumpProbeAt + JUMP_PROBE_SPACING_MS - Date.now();
      if (wait > 0) await delay(wait);
      this.#lastJumpProbeAt = Date.now();
    }
    const result = await this.#withConnection(async (ssh) => {
      try {
        return await this.#execOn(ssh, command, command, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      } catch (error) {
        // #execOn wraps its own failures for the retry around it (AbortError: not retried).
        if (!(error instanceof AbortError && error.originalError instanceof CommandTimeoutError)) throw error;
        // No answer on this connection: taken as gone (a node reset closes nothing), never waited on again.
        this.#forget(ssh);
        throw new AbortError(new TransportError(`${this.name} did not answer ${command} within ${options.timeoutMs} ms; its connection was dropped`, { command }, { cause: error }));
      }
    }, 0);
    if (result.code !== 0) throw commandFailed(this.name, command, result);
    return result.stdout.trim();
  }

  /**
   * Rejects with a TransportError unless the endpoint accepts a TCP connection now (never used
   * with a jump host: see bootId). A node that
   * reboots refuses connections for seconds; polling it with full SSH connection attempts (a
   * client, the key read and parsed) at 2/s per node grew the controller's heap by ~60 MB with 32
   * nodes rebooting at once, where a bare TCP connect costs almost nothing. The connection it
   * makes is kept for the login that follows (#open): closing it and connecting again cost a
   * round trip, and sshd forking a child for a connection that only closes, on a node just booted.
   */
  #accepting(): Promise<void> {
    const { host, port, family } = this.#endpoint;
    this.#dropProbe();
    // A SYN sent while the booting node's network comes up may go unanswered, neither accepted nor
    // refused, and TCP sends it again only after its initial timeout, 1 s (RFC 6298), then 2 s, 4 s
    // later: in the lab a connect begun 94 ms before sshd listened opened 1 010 ms later, and the
    // engine went on up to 0.8 s after sshd was ready (8 nodes). So while no attempt has an
    // answer, another starts every ACCEPT_AGAIN_MS (the older ones go on: on a slow link the first
    // may still win); the first connected is kept, the rest closed; a refusal or an unreachable
    // network ends the poll at once, as before.
    return new Promise((resolve, reject) => {
      const attempts: Socket[] = [];
      let settled = false;
      const finish = (winner: Socket | undefined, error?: Error): void => {
        if (settled) return;
        settled = true;
        clearInterval(again);
        clearTimeout(deadline);
        for (const socket of attempts) if (socket !== winner) socket.destroy();
        if (winner === undefined) {
          this.connectFailures++;
          reject(classifyConnectError(error!, this.name, this.#target));
          return;
        }
        // Until the login takes it, a reset only ends it (ssh2 listens from then on).
        winner.on('error', () => winner.destroy());
        this.#probe = winner;
        resolve();
      };
      const attempt = (): void => {
        if (attempts.length >= ACCEPT_IN_FLIGHT) attempts.shift()!.destroy();
        const socket = coalescingSocket({ host, port, ...(family ? { family } : {}) });
        attempts.push(socket);
        socket.once('connect', () => finish(socket));
        socket.once('error', (error: Error) => {
          socket.destroy();
          finish(undefined, error);
        });
      };
      // After the event loop's I/O of this turn: a connection that opened while the loop was busy
      // (timers run before I/O callbacks) is taken before another attempt starts.
      const again = setInterval(() => setImmediate(() => {
        if (!settled) attempt();
      }), ACCEPT_AGAIN_MS);
      const deadline = setTimeout(() => finish(undefined, Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), this.#readyTimeoutMs);
      attempt();
    });
  }

  /** The connection #accepting made to the node, for the login to use; undefined once it closed. */
  #takeProbe(): Socket | undefined {
    const probe = this.#probe;
    this.#probe = undefined;
    if (probe && !probe.destroyed && probe.readyState === 'open') return probe;
    probe?.destroy();
    return undefined;
  }

  #dropProbe(): void {
    this.#probe?.destroy();
    this.#probe = undefined;
  }

  async disconnect(): Promise<void> {
    this.#dropProbe();
    const ssh = this.#ssh;
    this.#ssh = undefined;
    ssh?.dispose();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.disconnect();
  }
}
