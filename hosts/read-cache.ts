// One observation per fact per run: a Host that answers a repeated read of a fact that only a
// command can change (a file under /etc or /boot, /proc/cmdline, the boot-method probe, `uname -r`,
// `systemctl is-enabled`, and the probes the caller names) from the first answer, until anything that may change the node runs:
// any other command, a write, an upload, a reconnect (a reboot). What changes by itself (/sys,
// /proc, `ip`, container states, which verify polls until it settles) is never cached.
import type { ExecOptions, ExecResult, Host, WriteFileOptions } from './host.ts';

/** Files that only a command changes (none of them are written by the kernel or a daemon by themselves). */
const STEADY_FILES = /^\/(etc|boot)\/|^\/proc\/cmdline$/;

const sameArgv = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export class ReadCache implements Host {
  readonly name: string;
  readonly #inner: Host;
  #files = new Map<string, Promise<string | undefined>>();
  #probes = new Map<string, Promise<ExecResult>>();
  #boot: string | undefined;
  /** Reads answered from the cache (round trips saved). */
  hits = 0;

  readonly #steadyProbes: readonly (readonly string[])[];

  /** `steadyProbes`: read-only commands (argv, exactly) whose answer only a command changes, besides `uname -r` and `systemctl is-enabled UNIT`. */
  constructor(inner: Host, steadyProbes: readonly (readonly string[])[] = []) {
    this.#inner = inner;
    this.name = inner.name;
    this.#steadyProbes = steadyProbes;
  }

  #steady(argv: readonly string[]): boolean {
    if (this.#steadyProbes.some((p) => sameArgv(p, argv))) return true;
    if (sameArgv(argv, ['uname', '-r'])) return true;
    return argv.length === 3 && argv[0] === 'systemctl' && argv[1] === 'is-enabled';
  }

  /** The transport's counters, as the engine reports them (SshHost's; undefined for LocalHost). */
  get roundTrips(): number | undefined {
    return (this.#inner as { roundTrips?: number }).roundTrips;
  }
  get connectFailures(): number | undefined {
    return (this.#inner as { connectFailures?: number }).connectFailures;
  }
  get connections(): number | undefined {
    return (this.#inner as { connections?: number }).connections;
  }

  #forget(): void {
    this.#files.clear();
    this.#probes.clear();
  }

  /** The cached promise, or a new one kept unless it fails (a failure is not a fact). */
  #remember<T>(map: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
    const known = map.get(key);
    if (known) {
      this.hits++;
      return known;
    }
    const fresh = read();
    map.set(key, fresh);
    fresh.catch(() => {
      if (map.get(key) === fresh) map.delete(key);
    });
    return fresh;
  }

  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    if (options === undefined && this.#steady(argv)) return this.#remember(this.#probes, JSON.stringify(argv), () => this.#inner.exec(argv));
    this.#forget();
    return this.#inner.exec(argv, options);
  }

  async run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    if (options === undefined && this.#steady(argv)) {
      const result = await this.exec(argv);
      // run's failure, as the inner host words it (the probe's answer stays cached).
      return result.code === 0 ? result : this.#inner.run(argv);
    }
    this.#forget();
    return this.#inner.run(argv, options);
  }

  readFile(path: string): Promise<string | undefined> {
    if (STEADY_FILES.test(path) && !path.includes('/../')) return this.#remember(this.#files, path, () => this.#inner.readFile(path));
    return this.#inner.readFile(path);
  }

  writeFile(path: string, content: string, options?: WriteFileOptions): Promise<void> {
    this.#forget();
    return this.#inner.writeFile(path, content, options);
  }

  upload(localPath: string, remotePath: string, options?: WriteFileOptions): Promise<void> {
    this.#forget();
    return this.#inner.upload(localPath, remotePath, options);
  }

  async bootId(): Promise<string> {
    const id = await this.#inner.bootId();
    // Another boot: nothing read before it holds (the reboot protocol reconnects too).
    if (this.#boot !== undefined && this.#boot !== id) this.#forget();
    this.#boot = id;
    return id;
  }

  disconnect(): Promise<void> {
    this.#forget();
    return this.#inner.disconnect();
  }

  close(): Promise<void> {
    this.#forget();
    return this.#inner.close();
  }
}
