// Ctrl-C (SIGINT) or SIGTERM to a command that brings up labs and runs child processes (`npm run
// bench`, `npm run demo`, `lab.ts up`) leaves the machine as it was. The first signal aborts
// `signal`: the children it runs get the same signal and are waited for (provision.ts finishes the
// stage under way), a lab coming up stops between steps and takes itself down, and the command
// unwinds through its own clean-up. What it registered here and still stands is then removed (labs
// taken down, then directories), it says what was cleaned and exits 130/143. A second signal is
// passed on to the children and stops at once, naming what may be left and how to remove it.
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { labDown } from './down.ts';
import { labDir, type LabInfo } from './info.ts';
import { labRunning, labUp, type LabUpOptions } from './up.ts';

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof EXIT_CODES;

/** The reason `signal` is aborted with (the lab takes nothing of core/: its own class). */
class InterruptedError extends Error {
  override name = 'InterruptedError';
}

let current: Interruption | undefined;

/** Spawn options of a child run an Interruption tracks (see track()). */
export const TRACKED_CHILD = { detached: true } as const;

/** The command's Interruption, when it installed one: child runs deep in a call chain register here. */
export function currentInterruption(): Interruption | undefined {
  return current;
}

/** The name a person knows a child by: the script a Node child runs, else the program. */
const childName = (argv: readonly string[]): string => basename(argv[0] === process.execPath && argv[1] ? argv[1] : (argv[0] ?? '?'));

export class Interruption {
  readonly #controller = new AbortController();
  readonly #command: string;
  #received: HandledSignal | undefined;
  /** Labs this command brought up and has not taken down. */
  readonly #labs = new Set<string>();
  /** Directories this command made and has not removed. */
  readonly #dirs = new Set<string>();
  readonly #children = new Map<ChildProcess, string>();
  readonly #cleaned: string[] = [];

  /** `command` names the command in what it prints (bench, demo, lab). */
  constructor(command: string) {
    this.#command = command;
  }

  /** Aborted at the first SIGINT/SIGTERM, with an InterruptedError naming the signal. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Handles SIGINT and SIGTERM in this process from now on; one Interruption per process. */
  install(): this {
    if (current !== undefined) throw new Error('signals are already handled by another Interruption');
    current = this;
    for (const name of Object.keys(EXIT_CODES) as HandledSignal[]) {
      // conf's atomically hooks these signals through when-exit, which re-raises the signal on this
      // process after its cleanup: that copy would count as the second signal and stop at once. Its
      // cleanup also runs on 'exit', which stays hooked (as in cli/provision-main.ts).
      process.removeAllListeners(name);
      process.on(name, () => this.#onSignal(name));
    }
    return this;
  }

  #say(line: string): void {
    process.stderr.write(`${this.#command}: ${line}\n`);
  }

  #onSignal(name: HandledSignal): void {
    if (this.#received !== undefined) {
      for (const child of this.#children.keys()) child.kill(name);
      const left = this.#whatMayBeLeft();
      this.#say(`${name} again: stopping at once${left.length > 0 ? `; may be left:\n${left.map((l) => `  ${l}`).join('\n')}` : ''}`);
      process.exit(EXIT_CODES[name]);
    }
    this.#received = name;
    const children = [...this.#children].map(([child, what]) => `${what} (pid ${child.pid})`);
    this.#say(`${name}: stopping${children.length > 0 ? ` ${children.join(', ')} and waiting for ${children.length > 1 ? 'them' : 'it'}` : ''}, then taking down the labs this ${this.#command} brought up (${name} again to stop at once)`);
    this.#controller.abort(new InterruptedError(`interrupted by ${name}`));
    for (const child of this.#children.keys()) child.kill(name);
  }

  #whatMayBeLeft(): string[] {
    return [
      ...[...this.#children].map(([child, what]) => `${what}, pid ${child.pid}: kill ${child.pid}`),
      ...[...this.#labs].filter((dir) => existsSync(join(dir, 'lab.json'))).map((dir) => `the lab in ${dir}: npx zx lab/lab.ts down --dir ${dir}`),
      ...[...this.#dirs].filter((dir) => existsSync(dir)).map((dir) => `${dir}: rm -rf ${dir}`),
    ];
  }

  /**
   * A child process (of argv) that the first signal stops (the same signal) and this command waits
   * for. Spawn it with TRACKED_CHILD's options: in a process group of its own, the terminal's
   * Ctrl-C reaches this command only, which passes it on once (a provision.ts run takes a second
   * one as "stop at once").
   */
  track(child: ChildProcess, argv: readonly string[]): void {
    const what = childName(argv);
    this.#children.set(child, what);
    child.once('exit', (code, signal) => {
      this.#children.delete(child);
      if (this.signal.aborted) this.#cleaned.push(`stopped ${what} (pid ${child.pid}): ${signal ? `by ${signal}` : `exit ${code}`}`);
    });
    child.once('error', () => this.#children.delete(child));
    if (this.signal.aborted) child.kill(this.#received);
  }

  /**
   * labUp, stopped by the first signal (it takes down what it had started); the lab is this
   * command's to take down unless it was already running (labUp reuses a healthy lab).
   */
  async labUp(options: LabUpOptions): Promise<LabInfo> {
    this.signal.throwIfAborted();
    const dir = labDir(options.dir);
    if (!labRunning(dir)) this.#labs.add(dir);
    return labUp({ ...options, dir, signal: this.signal });
  }

  /** labDown, remembered as cleaned when the command was interrupted. */
  async labDown(dir: string): Promise<void> {
    const had = existsSync(join(dir, 'lab.json'));
    await labDown(dir);
    this.#labs.delete(dir);
    if (had && this.signal.aborted) this.#cleaned.push(`took down the lab in ${dir}`);
  }

  /** A directory this command made: removed if the command is interrupted. */
  ownDir(dir: string): void {
    this.#dirs.add(dir);
  }

  /** Removes a directory this command made. */
  removeDir(dir: string): void {
    const had = existsSync(dir);
    rmSync(dir, { recursive: true, force: true });
    this.#dirs.delete(dir);
    if (had && this.signal.aborted) this.#cleaned.push(`removed ${dir}`);
  }

  /**
   * Runs the command's work. When a signal came, whatever it ended with, it never returns: what
   * still stands is cleaned, reported, and the process exits 130/143.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    let result: T | undefined;
    let failure: unknown;
    let failed = false;
    try {
      result = await work();
    } catch (error) {
      failure = error;
      failed = true;
    }
    if (this.#received !== undefined) await this.#finishInterrupted(this.#received, failed ? failure : undefined);
    if (failed) throw failure;
    return result as T;
  }

  async #finishInterrupted(name: HandledSignal, failure: unknown): Promise<never> {
    await Promise.all([...this.#children.keys()].map((child) => new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done(undefined) : child.once('exit', done)))));
    const kept: string[] = [];
    for (const dir of this.#labs) {
      try {
        await this.labDown(dir);
      } catch (error) {
        kept.push(dir);
        this.#say(`could not take down the lab in ${dir} (${(error as Error).message}): run \`npx zx lab/lab.ts down --dir ${dir}\``);
      }
    }
    for (const dir of this.#dirs) {
      // A lab's state (lab.json) is what `lab down` needs: a directory holding one left up is kept.
      if (kept.some((lab) => lab === dir || lab.startsWith(`${dir}/`))) this.#say(`kept ${dir}: a lab in it is still up; remove it once the lab is down`);
      else this.removeDir(dir);
    }
    const why = failure instanceof Error && failure !== this.signal.reason ? `\n${failure.message}` : '';
    const cleaned = this.#cleaned.length > 0 ? `\ncleaned up:\n${this.#cleaned.map((c) => `  ${c}`).join('\n')}` : why ? '' : '; nothing to clean up';
    this.#say(`interrupted by ${name}${why}${cleaned}`);
    process.exit(EXIT_CODES[name]);
  }
}
