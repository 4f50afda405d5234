// A FakeHost that answers batched reads (hosts/batch.ts) the way a node's sh would: it decodes the
// script independently of the code that wrote it (each line's "(BODY) < /dev/null", the words
// named by number), answers each read from its rules and files, and frames the outputs. It counts
// round trips: every exec, readFile, write or boot id that reached it from outside. A sequence of
// commands (hosts/sequence.ts) is the same script; it stops where the node's sh would.
import type { ExecOptions, ExecResult } from '../../hosts/host.ts';
import { FakeHost } from './fake-host.ts';

const LINE = /\((.*)\) < \/dev\/null;/;
const REF = /"\$\{(\d+)\}"/g;
const STOPS = /; r=\$\?; .*\[ \$r -eq 0 \] \|\| exit 0$/;

export class BatchingFakeHost extends FakeHost {
  roundTrips = 0;
  /** The reads each batch carried, as "file PATH" or the argv joined by spaces. */
  readonly batches: string[][] = [];
  #nested = false;

  override async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.#nested) this.roundTrips++;
    if (this.#nested || !isBatch(argv)) return super.exec(argv, options);
    const params = argv.slice(4);
    const boundary = params[0]!;
    const word = (n: string): string => params[Number(n) - 1]!;
    let stdout = '';
    let stderr = '';
    const reads: string[] = [];
    const lines = argv[2]!.split('\n');
    for (const [i, line] of lines.entries()) {
      const body = LINE.exec(line)?.[1];
      if (body === undefined) throw new Error(`BatchingFakeHost: a batch line without a read: ${line}`);
      const words = [...body.matchAll(REF)].map((m) => word(m[1]!));
      let result: ExecResult;
      this.#nested = true;
      try {
        if (body.startsWith('test -e ')) {
          reads.push(`file ${words[0]}`);
          const text = await this.readFile(words[0]!);
          result = text === undefined ? { code: 66, stdout: '', stderr: '' } : { code: 0, stdout: text, stderr: '' };
        } else {
          // `exec timeout -k 5 N` before the words: the time limit is the node's business.
          reads.push(words.join(' '));
          result = await super.exec(words);
        }
      } finally {
        this.#nested = false;
      }
      stdout += `${boundary} ${i}\n${result.stdout}\n${boundary} rc ${result.code}\n`;
      stderr += `${boundary} ${i}\n${result.stderr}`;
      // A sequence (hosts/sequence.ts) stops at its first failure: "[ $r -eq 0 ] || exit 0".
      if (result.code !== 0 && STOPS.test(line)) break;
    }
    this.batches.push(reads);
    return { code: 0, stdout, stderr };
  }

  override async readFile(path: string): Promise<string | undefined> {
    if (!this.#nested) this.roundTrips++;
    return super.readFile(path);
  }

  override async writeFile(path: string, content: string, options?: { mode?: number }): Promise<void> {
    this.roundTrips++;
    return super.writeFile(path, content, options);
  }

  override async bootId(): Promise<string> {
    this.roundTrips++;
    return super.bootId();
  }
}

function isBatch(argv: readonly string[]): boolean {
  return argv[0] === 'sh' && argv[1] === '-c' && /^[0-9a-f]{32}$/.test(argv[4] ?? '') && (argv[2] ?? '').includes('< /dev/null;');
}
