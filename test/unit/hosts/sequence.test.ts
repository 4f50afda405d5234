// Commands that change the node, in one round trip, against a real /bin/sh (LocalHost): each one
// runs as it would alone, in order, whatever its words hold; a failure is that command's own
// (its command line, exit code, error output) and nothing after it starts.
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError } from '../../../core/errors.ts';
import type { ExecOptions, ExecResult } from '../../../hosts/host.ts';
import { LocalHost } from '../../../hosts/local.ts';
import { commandLine } from '../../../hosts/quote.ts';
import { runSequence } from '../../../hosts/sequence.ts';

/** A LocalHost that counts what it sends and can cut the output (a shell stopped under it). */
class CountingHost extends LocalHost {
  sent = 0;
  cut: ((r: ExecResult) => ExecResult) | undefined;
  override async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.sent++;
    const result = await super.exec(argv, options);
    return this.cut ? this.cut(result) : result;
  }
}

function scratch(t: { teardown: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-sequence-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a sequence runs every command in order in one round trip; hostile paths are words, never shell', async (t) => {
  const dir = scratch(t);
  const odd = join(dir, "it's a \"dir\" $(touch pwned) `touch pwned2`\nwith a newline; rm -rf x");
  const host = new CountingHost('here');
  const results = await runSequence(host, [
    ['mkdir', '-p', odd],
    ['sh', '-c', 'printf "%s" "$1" > "$2/order"; echo note >&2', 'sh', 'first', odd],
    ['sh', '-c', 'printf "%s" "$(cat "$2/order")$1" > "$2/order"', 'sh', '+second', odd],
    ['cat'],
  ]);
  t.is(host.sent, 1, 'one command sent');
  t.is(readFileSync(join(odd, 'order'), 'utf8'), 'first+second', 'in order');
  t.deepEqual(readdirSync(dir).sort(), [odd.slice(dir.length + 1)], 'nothing but the directory: no pwned file');
  t.is(results.length, 4);
  t.deepEqual(results[1], { code: 0, stdout: '', stderr: 'note\n' }, 'each command\'s own error output');
  t.deepEqual(results[3], { code: 0, stdout: '', stderr: '' }, 'no standard input');
});

test('the first failure stops the sequence and is named as that command alone would be', async (t) => {
  const dir = scratch(t);
  const host = new CountingHost('node9');
  const failing = ['sh', '-c', 'echo "cannot do $1" >&2; exit 7', 'sh', "it's"];
  const error = await t.throwsAsync(runSequence(host, [['touch', join(dir, 'a')], failing, ['touch', join(dir, 'b')]]), { instanceOf: CommandError });
  t.is(error.message, `${commandLine(failing)} failed with exit code 7 on node9`);
  t.is(error.code, 7);
  t.is(error.command, commandLine(failing));
  t.is(error.stderrTail, "cannot do it's");
  t.true(existsSync(join(dir, 'a')), 'what came before ran');
  t.false(existsSync(join(dir, 'b')), 'what comes after never started');
  t.is(host.sent, 1);
});

test('keepGoing runs every command and returns each exit code for the caller to report', async (t) => {
  const dir = scratch(t);
  const host = new CountingHost('here');
  const results = await runSequence(host, [['false'], ['touch', join(dir, 'b')], ['sh', '-c', 'exit 3']], { keepGoing: true });
  t.deepEqual(results.map((r) => r.code), [1, 0, 3]);
  t.true(existsSync(join(dir, 'b')));
});

test('a sequence whose output is cut is an error naming the first command that did not report', async (t) => {
  const dir = scratch(t);
  const host = new CountingHost('node2');
  // The shell stopped after the first command: only its frame came back.
  host.cut = (r) => ({ code: 143, stdout: r.stdout.slice(0, r.stdout.indexOf(' rc 0\n') + 6), stderr: '' });
  const second = ['touch', join(dir, 'second one')];
  const error = await t.throwsAsync(runSequence(host, [['true'], second]), { instanceOf: CommandError });
  t.regex(error.message, /only 1 of 2 commands ran \(the script exited with code 143\)/);
  t.true(error.message.includes(`${commandLine(second)} did not start`));
  // With keepGoing too: a failure before the cut must not leave the rest taken for run.
  host.cut = (r) => ({ code: 143, stdout: r.stdout.slice(0, r.stdout.indexOf(' rc 1\n') + 6), stderr: '' });
  const keepGoing = await t.throwsAsync(runSequence(host, [['false'], second], { keepGoing: true }), { instanceOf: CommandError });
  t.true(keepGoing.message.includes(`only 1 of 2 commands ran`) && keepGoing.message.includes(`${commandLine(second)} did not start`), keepGoing.message);
  host.cut = () => ({ code: 0, stdout: 'garbage', stderr: '' });
  await t.throwsAsync(runSequence(host, [['true']]), { instanceOf: CommandError, message: /did not report as its script does/ });
});

test('an empty sequence sends nothing', async (t) => {
  const host = new CountingHost('here');
  t.deepEqual(await runSequence(host, []), []);
  t.is(host.sent, 0);
});
