// A Host that remembers what it observed of the node for one run, so a fact is read once: a stage
// names the reads its check needs (observe()), they go in one round trip (batch.ts), and its
// readFile/exec calls of those reads are answered from what came back; later stages and verify
// reuse them. Anything else sent to the node may change it, so it forgets everything first: a
// command that is not a remembered read, a write, an upload, a disconnect, a new boot. The engine
// also forgets after every apply and reboot (forget()). Remembered results are only ever the
// output of the same command line, so errors name the command as the node would have failed it.
import { randomBytes } from 'node:crypto';
import { CommandError, tail } from '../core/errors.ts';
import { batchArgv, MISSING_FILE, parseBatch, readCommand, readKey, TIMED_OUT, type Read } from './batch.ts';
import { commandFailed } from './command-failure.ts';
import type { BootIdOptions, ExecOptions, ExecResult, Host, WriteFileOptions } from './host.ts';
import { commandLine } from './quote.ts';

export type { Read } from './batch.ts';

/** Transport counters the engine reports (SshHost has them). */
interface Counters {
  roundTrips?: number;
  connectFailures?: number;
  connections?: number;
}

/**
 * Whether a remembered result can answer a command run with these options: no input, and no
 * environment beyond the C locale every command gets (command-env.ts). A time limit is kept by
 * the batch (batch.ts).
 */
const plain = (options: ExecOptions | undefined): boolean =>
  options === undefined || (options.stdin === undefined && Object.entries(options.env ?? {}).every(([k, v]) => k === 'LC_ALL' && v === 'C'));

export class ObservingHost implements Host {
  readonly name: string;
  /** The host commands go to. The node's lock talks to it directly: its heartbeat changes no fact. */
  readonly inner: Host;
  readonly #seen = new Map<string, ExecResult>();
  /** Bumped by every forget: a batch that was under way when the node changed is not remembered. */
  #generation = 0;
  /** A file read waiting to go with the next batch (readAlong). */
  #along: { read: Read; sent: boolean } | undefined;
  #bootId: string | undefined;

  constructor(inner: Host) {
    this.inner = inner;
    this.name = inner.name;
  }

  get roundTrips(): number | undefined {
    return (this.inner as Counters).roundTrips;
  }

  get connectFailures(): number | undefined {
    return (this.inner as Counters).connectFailures;
  }

  get connections(): number | undefined {
    return (this.inner as Counters).connections;
  }

  /** Forgets every observation (the node may have changed). */
  forget(): void {
    this.#seen.clear();
    this.#generation++;
  }

  /**
   * The file at `path` goes with the next round trip of reads (observe()), read anew then, without
   * one of its own: the engine's check of the node's lock rides on the stage check's first batch.
   * What came back: takeAlong().
   */
  readAlong(path: string): void {
    const read = { file: path };
    this.#seen.delete(readKey(read));
    this.#along = { read, sent: false };
  }

  /**
   * Ends readAlong(): the file's text as readFile would answer it (undefined: no such file), if it
   * went with a batch, was read and nothing has been forgotten since (then it is what the node
   * holds now, only reads having been sent after it); else undefined.
   */
  takeAlong(): FileRead | undefined {
    const along = this.#along;
    this.#along = undefined;
    const known = along?.sent ? this.#seen.get(readKey(along.read)) : undefined;
    const text = known && fileText(known);
    return known === undefined || text === null ? undefined : { text };
  }

  /** Reads what is not remembered yet, all in one round trip. */
  async observe(reads: readonly Read[]): Promise<void> {
    const wanted = [...new Map(reads.map((r) => [readKey(r), r])).values()].filter((r) => !this.#seen.has(readKey(r)));
    if (wanted.length === 0) return;
    const along = this.#along;
    if (along && !along.sent) {
      along.sent = true;
      if (!wanted.some((r) => readKey(r) === readKey(along.read))) wanted.push(along.read);
    }
    const generation = this.#generation;
    const boundary = randomBytes(16).toString('hex');
    const batch = await this.inner.exec(batchArgv(wanted, boundary));
    let results: ExecResult[];
    try {
      results = parseBatch(batch.stdout, batch.stderr, boundary, wanted.length);
    } catch {
      // A shell that does not print what the script asks: nothing remembered, the stage reads one by one.
      return;
    }
    if (generation !== this.#generation) return;
    wanted.forEach((read, i) => {
      // A read that ran out of time is left to the stage, whose own command reports it as such.
      if ('argv' in read && read.timeoutMs !== undefined && TIMED_OUT.has(results[i]!.code)) return;
      this.#seen.set(readKey(read), results[i]!);
    });
  }

  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const known = plain(options) ? this.#seen.get(readKey({ argv })) : undefined;
    if (known) return { ...known };
    this.forget();
    return this.inner.exec(argv, options);
  }

  async run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const known = plain(options) ? this.#seen.get(readKey({ argv })) : undefined;
    if (!known) {
      this.forget();
      return this.inner.run(argv, options);
    }
    if (known.code !== 0) throw commandFailed(this.name, commandLine(argv), known);
    return { ...known };
  }

  async readFile(path: string): Promise<string | undefined> {
    const key = readKey({ file: path });
    const known = this.#seen.get(key);
    // Only observe() remembers: a stage that polls a file (waiting for a change) reads it every time.
    if (!known) return this.inner.readFile(path);
    const text = fileText(known);
    if (text === null) {
      throw new CommandError(`cannot read ${path} on ${this.name} (exit code ${known.code})`, { command: readCommand({ file: path }), code: known.code, stderrTail: tail(known.stderr) });
    }
    return text;
  }

  async writeFile(path: string, content: string, options?: WriteFileOptions): Promise<void> {
    this.forget();
    await this.inner.writeFile(path, content, options);
  }

  async upload(localPath: string, remotePath: string, options?: WriteFileOptions): Promise<void> {
    this.forget();
    await this.inner.upload(localPath, remotePath, options);
  }

  /** The boot id, never remembered; a new one (a reboot, ours or not) forgets everything. */
  async bootId(options?: BootIdOptions): Promise<string> {
    const id = await this.inner.bootId(options);
    if (this.#bootId !== undefined && id !== this.#bootId) this.forget();
    this.#bootId = id;
    return id;
  }

  async disconnect(): Promise<void> {
    this.forget();
    await this.inner.disconnect();
  }

  async close(): Promise<void> {
    this.forget();
    await this.inner.close();
  }
}

/**
 * Reads `reads` in one round trip when the host remembers observations (the engine's hosts do);
 * on any other Host it does nothing and the stage's own reads go one by one.
 */
export async function observe(host: Host, reads: readonly Read[]): Promise<void> {
  if (host instanceof ObservingHost) await host.observe(reads);
}

/** A file as a batch read it (readAlong/takeAlong). */
export interface FileRead {
  /** Its text; undefined: no such file. */
  text: string | undefined;
}

/** A batch's read of a file: its text, undefined when there is no such file, null when it failed. */
function fileText(result: ExecResult): string | undefined | null {
  if (result.code === 0) return result.stdout;
  return result.code === MISSING_FILE && result.stdout === '' ? undefined : null;
}

/** ObservingHost.readAlong on the hosts that batch reads; nothing on any other. */
export function readAlong(host: Host, path: string): void {
  if (host instanceof ObservingHost) host.readAlong(path);
}

/** ObservingHost.takeAlong; undefined on any other host. */
export function takeAlong(host: Host): FileRead | undefined {
  return host instanceof ObservingHost ? host.takeAlong() : undefined;
}

/** After a change the stage made (apply) or a reboot: nothing observed before is trusted after it. */
export function forgetObservations(host: Host): void {
  if (host instanceof ObservingHost) host.forget();
}
