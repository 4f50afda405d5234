// A Host for stage unit tests: commands are answered from a table of rules (outputs usually
// captured on real machines and kept in test/fixtures/), files live in memory, and every call is
// recorded so a test can assert what ran and in what order. A command without a rule fails loudly.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ExecOptions, ExecResult, Host, WriteFileOptions } from '../../hosts/host.ts';
import { commandLine } from '../../hosts/quote.ts';
import { commandFailed } from '../../hosts/command-failure.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The text of test/fixtures/<relativePath>. */
export function fixture(relativePath: string): string {
  return readFileSync(`${FIXTURES}${relativePath}`, 'utf8');
}

export interface FakeReply {
  code?: number;
  stdout?: string;
  stderr?: string;
}

/** argv (exact), a RegExp tested on the quoted command line, or a predicate. */
export type FakeMatcher = readonly string[] | RegExp | ((argv: readonly string[], line: string) => boolean);

/** A fixed reply, or a function of the call (it may throw, e.g. a TransportError). */
export type FakeAnswer = FakeReply | ((argv: readonly string[], options: ExecOptions) => FakeReply | Promise<FakeReply>);

export interface FakeCall {
  kind: 'exec' | 'readFile' | 'writeFile' | 'upload' | 'bootId' | 'disconnect' | 'close';
  /** For exec. */
  argv?: readonly string[];
  /** For exec: the quoted command line, as a real host would send it. */
  line?: string;
  options?: ExecOptions;
  /** For file calls: the path on the host. */
  path?: string;
}

export interface FakeFile {
  content: string;
  mode: number;
  /** The mode its directory was to be made with, when missing (WriteFileOptions.directoryMode). */
  directoryMode?: number;
}

interface Rule {
  match: FakeMatcher;
  answer: FakeAnswer;
  /** How many more times the rule answers; undefined: always. */
  remaining: number | undefined;
}

function matches(matcher: FakeMatcher, argv: readonly string[], line: string): boolean {
  if (matcher instanceof RegExp) return matcher.test(line);
  if (typeof matcher === 'function') return matcher(argv, line);
  return matcher.length === argv.length && matcher.every((a, i) => a === argv[i]);
}

export class FakeHost implements Host {
  readonly name: string;
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];
  /** The in-memory file system: path → content and mode. */
  readonly files = new Map<string, FakeFile>();
  /** What bootId() answers; change it to simulate a reboot. */
  currentBootId = '00000000-0000-4000-8000-000000000001';
  readonly #rules: Rule[] = [];

  constructor(name = 'fake-node', files: Readonly<Record<string, string>> = {}) {
    this.name = name;
    for (const [path, content] of Object.entries(files)) this.files.set(path, { content, mode: 0o644 });
  }

  /**
   * Adds a rule. Rules are tried in the order they were added; the first that matches answers.
   * `times` limits how often it answers (then the next matching rule takes over).
   */
  on(match: FakeMatcher, answer: FakeAnswer, times?: number): this {
    this.#rules.push({ match, answer, remaining: times });
    return this;
  }

  /** The quoted command lines of every exec so far, in order. */
  get commands(): string[] {
    return this.calls.filter((c) => c.kind === 'exec').map((c) => c.line ?? '');
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const line = commandLine(argv);
    this.calls.push({ kind: 'exec', argv: [...argv], line, options });
    const rule = this.#rules.find((r) => r.remaining !== 0 && matches(r.match, argv, line));
    if (!rule) {
      throw new Error(`FakeHost ${this.name}: no rule for the command ${line}\n  argv: ${JSON.stringify(argv)}\n  add one with host.on([...argv], {stdout: ...})`);
    }
    if (rule.remaining !== undefined) rule.remaining--;
    const reply = typeof rule.answer === 'function' ? await rule.answer(argv, options) : rule.answer;
    return { code: reply.code ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
  }

  async run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) throw commandFailed(this.name, commandLine(argv), result);
    return result;
  }

  async readFile(path: string): Promise<string | undefined> {
    this.calls.push({ kind: 'readFile', path });
    return this.files.get(path)?.content;
  }

  async writeFile(path: string, content: string, options: WriteFileOptions = {}): Promise<void> {
    this.calls.push({ kind: 'writeFile', path });
    this.files.set(path, { content, mode: options.mode ?? 0o644, ...(options.directoryMode === undefined ? {} : { directoryMode: options.directoryMode }) });
  }

  async upload(localPath: string, remotePath: string, options: WriteFileOptions = {}): Promise<void> {
    this.calls.push({ kind: 'upload', path: remotePath });
    this.files.set(remotePath, { content: await readFile(localPath, 'utf8'), mode: options.mode ?? 0o644, ...(options.directoryMode === undefined ? {} : { directoryMode: options.directoryMode }) });
  }

  async bootId(): Promise<string> {
    this.calls.push({ kind: 'bootId' });
    return this.currentBootId;
  }

  async disconnect(): Promise<void> {
    this.calls.push({ kind: 'disconnect' });
  }

  async close(): Promise<void> {
    this.calls.push({ kind: 'close' });
  }
}
