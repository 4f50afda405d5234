// The reboot protocol's two halves (engine/reboot.ts) on a fake host: the reboot is issued so the
// command returns before the node goes down, and the wait ends only when a different, well-formed
// boot_id answers (read by a command on the node).
import test from 'ava';
import { CommandError, FatalError, NotReadyError, TransportError } from '../../../core/errors.ts';
import { issueReboot, RebootTimeoutError, waitForNewBoot } from '../../../engine/reboot.ts';
import { FakeHost } from '../../helpers/fake-host.ts';
import type { BootIdOptions } from '../../../hosts/host.ts';

const OLD = '00000000-0000-4000-8000-000000000001';
const NEW = 'c6f0e0de-4e1b-4a5b-9d2e-7f3a1b2c3d4e';
const QUICK = { retries: 5, minTimeout: 1, maxTimeout: 1 };

/** bootId() answers from a script: a value, or an error to throw; the last answer repeats. */
class BootingHost extends FakeHost {
  readonly answers: (string | Error)[];
  constructor(answers: (string | Error)[]) {
    super('n1');
    this.answers = answers;
  }
  readonly bootIdOptions: (BootIdOptions | undefined)[] = [];
  override async bootId(options?: BootIdOptions): Promise<string> {
    await super.bootId();
    this.bootIdOptions.push(options);
    const a = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
    if (a instanceof Error) throw a;
    return a;
  }
  get kinds(): string[] {
    return this.calls.map((c) => (c.kind === 'exec' ? `exec ${c.line}` : c.kind));
  }
}

test('issue: sync, the detached reboot (systemd-run when systemd runs, else nohup); the connection stays for the first poll', async (t) => {
  const host = new FakeHost('n1').on(['sync'], {}).on((argv) => argv[0] === 'sh', {});
  await issueReboot(host);
  t.deepEqual(host.calls.map((c) => c.kind), ['exec', 'exec']);
  t.is(host.calls[0]?.line, 'sync');
  const script = host.calls[1]?.argv;
  t.is(script?.length, 3);
  t.deepEqual(script?.slice(0, 2), ['sh', '-c']);
  t.is(script?.[2], "if command -v systemd-run >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemd-run --on-active=2 systemctl reboot; else nohup sh -c 'sleep 2; reboot' >/dev/null 2>&1 </dev/null & fi");
});

test('issue: a connection cut by the going-down node is the reboot working; a failing command is not', async (t) => {
  const cut = new FakeHost('n1').on(['sync'], {}).on((argv) => argv[0] === 'sh', () => {
    throw new TransportError('connection reset');
  });
  await issueReboot(cut);
  t.deepEqual(cut.calls.map((c) => c.kind), ['exec', 'exec']);
  const refused = new FakeHost('n1').on(['sync'], {}).on((argv) => argv[0] === 'sh', { code: 1, stderr: 'Failed to start transient timer unit' });
  await t.throwsAsync(issueReboot(refused), { instanceOf: CommandError });
  t.false(refused.calls.some((c) => c.kind === 'disconnect'), 'not disconnected as if it rebooted');
});

test('wait: the same boot_id is "not gone down yet", asked again on the same connection (no login per poll), each read with a time limit; a new one ends it, with nothing more sent', async (t) => {
  const host = new BootingHost([OLD, OLD, NEW]);
  const polls: number[] = [];
  t.is(await waitForNewBoot(host, OLD, QUICK, (i) => polls.push(i.attempt)), NEW);
  t.deepEqual(host.kinds, ['bootId', 'bootId', 'bootId']);
  t.deepEqual(polls, [1, 2]);
  // A node that lost power answers nothing on the open connection: each read gives up in 2 s.
  t.deepEqual(host.bootIdOptions, [{ timeoutMs: 2000 }, { timeoutMs: 2000 }, { timeoutMs: 2000 }]);
});

test('wait: a connection that fails is dropped and polled again', async (t) => {
  const host = new BootingHost([new TransportError('connection refused'), NEW]);
  t.is(await waitForNewBoot(host, OLD, QUICK), NEW);
  t.deepEqual(host.kinds, ['bootId', 'disconnect', 'bootId']);
});

test('wait: an answer that is no boot_id is not taken for a new boot', async (t) => {
  const host = new BootingHost(['', 'Last login: today', `${NEW}x`, `x${NEW}`, NEW.toUpperCase(), NEW]);
  t.is(await waitForNewBoot(host, OLD, { ...QUICK, retries: 10 }), NEW);
  t.is(host.calls.filter((c) => c.kind === 'bootId').length, 6);
});

test('wait: a node that does not run the boot id read yet is not back', async (t) => {
  const host = new BootingHost([new NotReadyError('still booting'), new NotReadyError('still booting'), NEW]);
  t.is(await waitForNewBoot(host, OLD, QUICK), NEW);
  t.is(host.calls.filter((c) => c.kind === 'bootId').length, 3);
  t.false(host.calls.some((c) => c.kind === 'exec'), 'the read was the command');
});

test('wait: never back within the policy: a timeout that says how long, what it saw last and how to resume', async (t) => {
  const host = new BootingHost([OLD]);
  const error = await t.throwsAsync(waitForNewBoot(host, OLD, { retries: 2, minTimeout: 1, maxTimeout: 1 }), { instanceOf: RebootTimeoutError });
  t.true(error instanceof FatalError);
  t.regex(error.message, /^n1 did not come back from the reboot within \d+ s \(n1 has not gone down yet \(boot_id unchanged\)\)$/);
  t.regex(error.hint ?? '', /resumes with verify and does not reboot again/);
  t.is(host.calls.filter((c) => c.kind === 'bootId').length, 3, 'the first poll and two retries');
  const down = new BootingHost([new TransportError('no route to host')]);
  const lost = await t.throwsAsync(waitForNewBoot(down, OLD, { retries: 1, minTimeout: 1, maxTimeout: 1 }), { instanceOf: RebootTimeoutError });
  t.regex(lost.message, /\(no route to host\)$/);
});

test('wait: the seconds waited are counted from the start', async (t) => {
  const host = new BootingHost([OLD]);
  const error = await t.throwsAsync(waitForNewBoot(host, OLD, { retries: 1, minTimeout: 1100, maxTimeout: 1100 }), { instanceOf: RebootTimeoutError });
  t.regex(error.message, /within 1 s/);
});

test('wait: an error that is not about the node being away stops at once, as it is', async (t) => {
  const host = new BootingHost([new CommandError('cat: /proc/sys/kernel/random/boot_id: Permission denied'), NEW]);
  await t.throwsAsync(waitForNewBoot(host, OLD, QUICK), { instanceOf: CommandError, message: /Permission denied/ });
  t.is(host.calls.filter((c) => c.kind === 'bootId').length, 1);
});
