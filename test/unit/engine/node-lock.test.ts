// Issue 17 (5): the lock on the node, on a real file system through LocalHost (the same commands a
// node runs), in a temporary directory instead of /var/lib/sriov-lxc.
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError } from '../../../core/errors.ts';
import { LocalHost } from '../../../hosts/local.ts';
import { controllerMachineId } from '../../../engine/machine-id.ts';
import { acquireNodeLock, HOLDERLESS_STALE_S, NodeLockLostError, STALE_AFTER_S, staleBecause, type NodeLockHolder } from '../../../engine/node-lock.ts';
import { readProcStat } from '../../../state/lock.ts';
import { FakeHost } from '../../helpers/fake-host.ts';

function lockDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-node-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'var-lib-sriov-lxc', 'lock');
}

const host = new LocalHost('node1');
/** This controller's machine id, and another machine's. */
const ME = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const secondsAgo = (s: number) => `@${Math.floor(Date.now() / 1000) - s}`;

test('a second run (another name, state dir or --local) is refused naming the holder; the same run takes it back', async (t) => {
  const dir = lockDir(t);
  const first = await acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'provision --host node1', dir });
  const error = await t.throwsAsync(acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-b', command: 'provision --host other-name', dir }), { instanceOf: LockedError });
  t.regex(error!.message, new RegExp(`^node1 is being worked on by pid ${process.pid} on ${hostname()} \\(run run-a, machine aaaaaaaaaaaa, since [0-9T:.Z-]+, provision --host node1\\)`));
  t.regex(error!.hint ?? '', /another inventory name or state dir, or --local/);
  await t.notThrowsAsync(acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'provision --host node1', dir }), 'after a reboot the run finds its own lock');
  await first.release();
  t.false(existsSync(dir));
  await t.notThrowsAsync(acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-b', command: 'x', dir }));
});

test('release and heartbeat leave another run\'s lock alone; the heartbeat says whose it is now', async (t) => {
  const dir = lockDir(t);
  const mine = await acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir });
  rmSync(dir, { recursive: true });
  await acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-b', command: 'x', dir });
  await t.throwsAsync(mine.heartbeat(), { instanceOf: NodeLockLostError, message: /it is held by .*run run-b/ });
  await mine.release();
  t.regex(readFileSync(join(dir, 'holder'), 'utf8'), /"runId":"run-b"/);
});

test('stale locks are taken over with a warning: a dead local holder, a heartbeat past the limit', async (t) => {
  const dir = lockDir(t);
  mkdirSync(dir, { recursive: true });
  const dead = { pid: 2 ** 22 + 12345, hostname: hostname(), machineId: ME, since: '2026-01-01T00:00:00.000Z', command: 'provision', runId: 'gone' };
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(dead)}\n`);
  writeFileSync(join(dir, 'heartbeat'), '');
  const warnings: string[] = [];
  await acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[0] ?? '', /node1: took over the node's stale lock of pid \d+ on .* \(run gone, .*\): its process is gone \(it ran on this machine\)/);

  const elsewhere = { pid: 1, hostname: 'other-controller.example', since: '2026-01-01T00:00:00.000Z', command: 'provision', machineId: ME, runId: 'remote' };
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(elsewhere)}\n`);
  await t.throwsAsync(acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-c', command: 'x', dir }), { instanceOf: LockedError }, 'a fresh heartbeat from another machine holds');
  execFileSync('touch', ['-d', `@${Math.floor(Date.now() / 1000) - STALE_AFTER_S - 60}`, join(dir, 'heartbeat')]);
  await acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-c', command: 'x', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[1] ?? '', /took over the node's stale lock of pid 1 on other-controller\.example .*: its last heartbeat was 6\d\d s ago/);
  t.regex(readFileSync(join(dir, 'holder'), 'utf8'), /"runId":"run-c"/);
});

test('a --local holder from an earlier boot of the node is stale: the boot unit\'s run takes over', async (t) => {
  const dir = lockDir(t);
  mkdirSync(dir, { recursive: true });
  const beforeReboot = { pid: 1, hostname: 'node1-uts', since: '2026-01-01T00:00:00.000Z', command: 'provision --local', machineId: ME, runId: 'before', local: true, nodeBootId: '00000000-0000-4000-8000-000000000000' };
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(beforeReboot)}\n`);
  writeFileSync(join(dir, 'heartbeat'), '');
  const warnings: string[] = [];
  await acquireNodeLock(host, { local: true, machineId: ME, runId: 'resumed', command: 'provision --local', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[0] ?? '', /took over the node's stale lock of pid 1 on node1-uts .*: it ran on the node \(--local\), which has rebooted since/);
});

// Issue 24: "this machine" was judged by hostname + boot id; a clone with our hostname looked like us.
test('a holder on another machine with our hostname is not judged by our process table', async (t) => {
  const dir = lockDir(t);
  mkdirSync(dir, { recursive: true });
  const clone = { pid: 2 ** 22 + 12345, hostname: hostname(), machineId: OTHER, since: '2026-01-01T00:00:00.000Z', command: 'provision', runId: 'clone-run' };
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(clone)}\n`);
  writeFileSync(join(dir, 'heartbeat'), '');
  const error = await t.throwsAsync(acquireNodeLock(host, { machineId: ME, local: false, runId: 'run-a', command: 'x', dir }), { instanceOf: LockedError });
  t.regex(error!.message, new RegExp(`is being worked on by pid ${2 ** 22 + 12345} on ${hostname()} \\(run clone-run, machine bbbbbbbbbbbb`));
  t.regex(readFileSync(join(dir, 'holder'), 'utf8'), /clone-run/, 'the clone keeps its lock');
});

// Issue 24: the lock went stale after 600 s without a heartbeat, the default --reboot-timeout; the
// waiting run then went on beside the one that took it, its heartbeat and release silent no-ops.
test('an announced reboot is honoured until its deadline; the run that lost its lock is told whose it is', async (t) => {
  const dir = lockDir(t);
  const first = await acquireNodeLock(host, { machineId: OTHER, local: false, runId: 'run-a', command: 'provision --host node1', dir });
  await first.announceReboot(3600);
  execFileSync('touch', ['-d', secondsAgo(STALE_AFTER_S + 100), join(dir, 'heartbeat')]);
  const refused = await t.throwsAsync(acquireNodeLock(host, { machineId: ME, local: false, runId: 'run-b', command: 'x', dir }), { instanceOf: LockedError });
  t.regex(refused!.message, /is being worked on by .*run run-a.*; it rebooted the node and may be silent for 3[56]\d\d s more \(its announced deadline: \d{4}-\d\d-\d\dT[\d:.]+Z by the node's clock\)/);
  const deadline = Date.parse(/announced deadline: (\S+)/.exec(refused!.message)?.[1] ?? '');
  t.true(Math.abs(deadline - (Number(readFileSync(join(dir, 'reboot-until'), 'utf8')) * 1000)) < 1, 'the deadline written on the node');

  // The deadline passes without a word from run-a: the lock is stale and taken.
  writeFileSync(join(dir, 'reboot-until'), `${Math.floor(Date.now() / 1000) - 30}\n`);
  const warnings: string[] = [];
  await acquireNodeLock(host, { machineId: ME, local: false, runId: 'run-b', command: 'provision --host other-name', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[0] ?? '', /took over the node's stale lock of .*run run-a.*: its last heartbeat was 7\d\d s ago and the reboot it announced was due back 3\d s ago/);

  // run-a comes back: its check on return and its heartbeat stop it, naming run-b.
  const lost = await t.throwsAsync(first.verify(), { instanceOf: NodeLockLostError });
  t.regex(lost!.message, /^node1: this run \(run-a\) no longer holds the node's lock .*: it is held by pid \d+ on .* \(run run-b, machine aaaaaaaaaaaa, .*provision --host other-name\)/);
  await t.throwsAsync(first.heartbeat(), { instanceOf: NodeLockLostError });
  await first.release();
  t.regex(readFileSync(join(dir, 'holder'), 'utf8'), /"runId":"run-b"/, 'run-a\'s release leaves run-b\'s lock');
});

test('back from its reboot, the holder withdraws its announcement: its heartbeat rules again', async (t) => {
  const dir = lockDir(t);
  const first = await acquireNodeLock(host, { machineId: OTHER, local: false, runId: 'run-a', command: 'x', dir });
  await first.announceReboot(3600);
  await first.verify();
  t.false(existsSync(join(dir, 'reboot-until')));
  execFileSync('touch', ['-d', secondsAgo(STALE_AFTER_S + 100), join(dir, 'heartbeat')]);
  await t.notThrowsAsync(acquireNodeLock(host, { machineId: ME, local: false, runId: 'run-b', command: 'x', dir }));
});

// Issue 24: a lock directory without a holder (a run died between mkdir and the holder, /var
// full) refused every later run forever.
test('a lock without a readable holder is refused while young and taken over with a warning after a minute', async (t) => {
  const dir = lockDir(t);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'holder.new'), '');
  const young = await t.throwsAsync(acquireNodeLock(host, { machineId: ME, local: false, runId: 'run-a', command: 'x', dir }), { instanceOf: LockedError });
  t.regex(young!.message, /has no readable holder yet/);
  t.regex(young!.hint ?? '', new RegExp(`taken over after ${HOLDERLESS_STALE_S} s`));
  execFileSync('touch', ['-d', secondsAgo(HOLDERLESS_STALE_S + 30), dir]);
  const warnings: string[] = [];
  await acquireNodeLock(host, { machineId: ME, local: false, runId: 'run-a', command: 'x', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[0] ?? '', /^node1: took over the node's stale lock: it has had no readable holder for 9\d s/);
  t.regex(readFileSync(join(dir, 'holder'), 'utf8'), /"runId":"run-a"/);
});

test('runs racing for the lock: one wins, every other sees a holder; nothing is left beside the lock', async (t) => {
  const dir = lockDir(t);
  const runs = Array.from({ length: 8 }, (_, i) => acquireNodeLock(host, { machineId: OTHER, local: false, runId: `run-${i}`, command: 'x', dir }));
  const settled = await Promise.allSettled(runs);
  t.is(settled.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of settled) if (r.status === 'rejected') t.regex((r.reason as Error).message, /is being worked on by pid/);
  t.deepEqual(readdirSync(join(dir, '..')), ['lock']);
});

test('the controller\'s machine id: /etc/machine-id, else a random id kept in the state dir (0600)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-machine-id-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const etc = join(dir, 'etc-machine-id');
  writeFileSync(etc, '3d1219c7c4c5404aaa1f6d2a48adfda4\n');
  t.is(controllerMachineId(join(dir, 'state'), etc), '3d1219c7c4c5404aaa1f6d2a48adfda4');
  t.false(existsSync(join(dir, 'state')), 'nothing written when the system has an id');
  const kept = controllerMachineId(join(dir, 'state'), join(dir, 'missing'));
  t.regex(kept, /^[0-9a-f]{32}$/);
  t.is(controllerMachineId(join(dir, 'state'), join(dir, 'missing')), kept);
  t.is(statSync(join(dir, 'state', 'machine-id')).mode & 0o777, 0o600);
});

// The decision itself, at its boundaries (what the lab and the scripts above cannot pin to the
// second): each rule of the module's header, and the cases that must not free a lock.
const holderOf = (o: Partial<NodeLockHolder> = {}): NodeLockHolder => ({
  pid: 999_999_999,
  hostname: 'ctl',
  bootId: undefined,
  startTime: undefined,
  since: '2026-12-06T00:00:00.000Z',
  command: 'provision',
  runId: 'run-x',
  machineId: OTHER,
  local: false,
  nodeBootId: 'boot-1',
  ...o,
});
const held = (o: Partial<Parameters<typeof staleBecause>[0]> = {}): Parameters<typeof staleBecause>[0] => ({
  holder: holderOf(),
  heartbeatAgeS: 5,
  nodeBootId: 'boot-1',
  lockAgeS: 5,
  rebootLeftS: undefined,
  ...o,
});

test('staleBecause: a holder-less lock is stale only past HOLDERLESS_STALE_S', (t) => {
  t.is(staleBecause(held({ holder: undefined, lockAgeS: HOLDERLESS_STALE_S }), ME), undefined);
  t.is(staleBecause(held({ holder: undefined, lockAgeS: undefined }), ME), undefined);
  t.is(staleBecause(held({ holder: undefined, lockAgeS: HOLDERLESS_STALE_S + 1 }), ME), `it has had no readable holder for ${HOLDERLESS_STALE_S + 1} s (a run died while taking it, or the disk was full)`);
});

test('staleBecause: the heartbeat frees the lock only past STALE_AFTER_S, and an announced reboot holds it', (t) => {
  t.is(staleBecause(held({ heartbeatAgeS: STALE_AFTER_S }), ME), undefined);
  t.is(staleBecause(held({ heartbeatAgeS: undefined }), ME), undefined);
  t.is(staleBecause(held({ heartbeatAgeS: STALE_AFTER_S + 1 }), ME), `its last heartbeat was ${STALE_AFTER_S + 1} s ago`);
  t.is(staleBecause(held({ heartbeatAgeS: 86_400, rebootLeftS: 1 }), ME), undefined, 'a reboot announced until later holds it, however old the heartbeat');
  t.is(staleBecause(held({ heartbeatAgeS: STALE_AFTER_S + 1, rebootLeftS: 0 }), ME), `its last heartbeat was ${STALE_AFTER_S + 1} s ago and the reboot it announced was due back 0 s ago`);
  t.is(staleBecause(held({ heartbeatAgeS: STALE_AFTER_S + 1, rebootLeftS: -30 }), ME), `its last heartbeat was ${STALE_AFTER_S + 1} s ago and the reboot it announced was due back 30 s ago`);
  t.is(staleBecause(held({ heartbeatAgeS: 30, rebootLeftS: -30 }), ME), undefined, 'a reboot past its deadline with a fresh heartbeat: the holder is back');
});

test('staleBecause: a --local holder dies with the node\'s boot; a remote one does not', (t) => {
  t.is(staleBecause(held({ holder: holderOf({ local: true, nodeBootId: 'boot-1' }), nodeBootId: 'boot-2' }), ME), 'it ran on the node (--local), which has rebooted since');
  t.is(staleBecause(held({ holder: holderOf({ local: true, nodeBootId: 'boot-1' }), nodeBootId: 'boot-1' }), ME), undefined);
  t.is(staleBecause(held({ holder: holderOf({ local: true, nodeBootId: 'boot-1' }), nodeBootId: undefined }), ME), undefined, 'the node\'s boot id unknown: nothing known');
  t.is(staleBecause(held({ holder: holderOf({ local: false, nodeBootId: 'boot-1' }), nodeBootId: 'boot-2' }), ME), undefined, 'a controller\'s run outlives the node\'s reboot');
});

test('staleBecause: a gone process frees the lock only on this very machine', (t) => {
  t.is(staleBecause(held({ holder: holderOf({ machineId: ME }) }), ME), 'its process is gone (it ran on this machine)');
  t.is(staleBecause(held({ holder: holderOf({ machineId: OTHER }) }), ME), undefined, 'another machine\'s pid says nothing here');
  t.is(staleBecause(held({ holder: holderOf({ machineId: ME, pid: process.pid }) }), ME), undefined, 'our own live process');
});

test('a holder line that is not a whole holder record counts as no readable holder (each required field checked)', async (t) => {
  const good = { pid: 1, hostname: 'ctl', runId: 'run-x', since: '2026-12-06T00:00:00.000Z', command: 'provision', local: false, nodeBootId: 'b' };
  const broken = [{ ...good, pid: '1' }, { ...good, hostname: 7 }, { ...good, runId: null }, { ...good, since: 0 }];
  for (const holder of broken) {
    const dir = lockDir(t);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'holder'), `${JSON.stringify(holder)}\n`);
    const e = await t.throwsAsync(acquireNodeLock(host, { machineId: ME, local: false, runId: 'run-a', command: 'x', dir }), { instanceOf: LockedError });
    t.regex(e!.message, /has no readable holder yet/, JSON.stringify(holder));
  }
});

// What the record says of its holder, and how each field of someone else's record is judged (the
// mutation run of engine/node-lock.ts left these unproved).
const bootIdHere = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const startTimeHere = readProcStat(process.pid)!.startTime;
function lockHeldBy(t: ExecutionContext, holder: Record<string, unknown>): string {
  const dir = lockDir(t);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(holder)}\n`);
  writeFileSync(join(dir, 'heartbeat'), '');
  return dir;
}
const alive = { pid: process.pid, hostname: hostname(), since: '2026-01-01T00:00:00.000Z', command: 'provision', runId: 'other-run', machineId: ME };

test('the holder record names this process (pid, boot id, start time), this machine, --local and the node\'s boot', async (t) => {
  const dir = lockDir(t);
  await acquireNodeLock(host, { local: true, machineId: ME, runId: 'run-a', command: 'provision --local', dir });
  const record = JSON.parse(readFileSync(join(dir, 'holder'), 'utf8')) as NodeLockHolder;
  t.like(record, { pid: process.pid, hostname: hostname(), bootId: bootIdHere, startTime: startTimeHere, command: 'provision --local', runId: 'run-a', machineId: ME, local: true, nodeBootId: await host.bootId() });
});

test('a --local holder of the node\'s current boot holds the lock', async (t) => {
  const dir = lockHeldBy(t, { ...alive, machineId: OTHER, local: true, nodeBootId: await host.bootId() });
  await t.throwsAsync(acquireNodeLock(host, { local: true, machineId: ME, runId: 'run-a', command: 'x', dir }), { instanceOf: LockedError, message: /is being worked on by .*run other-run/ });
});

test('a holder on this machine is gone when its pid is another process now or from an earlier boot; alive when both match', async (t) => {
  for (const [gone, why] of [[{ startTime: startTimeHere + 1 }, 'the pid is another process now'], [{ bootId: 'an-earlier-boot' }, 'an earlier boot of this machine']] as const) {
    const dir = lockHeldBy(t, Object.assign({ ...alive, bootId: bootIdHere, startTime: startTimeHere }, gone));
    const warnings: string[] = [];
    await acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir, warn: (w) => warnings.push(w) });
    t.regex(warnings[0] ?? '', /its process is gone \(it ran on this machine\)/, why);
  }
  const dir = lockHeldBy(t, { ...alive, bootId: bootIdHere, startTime: startTimeHere });
  await t.throwsAsync(acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir }), { instanceOf: LockedError }, 'our own live process');
});

test('optional fields of the wrong type in a holder record are read as absent', async (t) => {
  // A boot id or start time that is not ours in type says nothing: judged by the pid, which is alive.
  for (const odd of [{ bootId: 5 }, { startTime: 'x' }]) {
    const dir = lockHeldBy(t, { ...alive, ...odd });
    await t.throwsAsync(acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir }), { instanceOf: LockedError }, JSON.stringify(odd));
  }
  const dir = lockHeldBy(t, { pid: 1, hostname: 'ctl', since: '2026-01-01T00:00:00.000Z', runId: 'other-run', command: 5, machineId: 5 });
  const e = await t.throwsAsync(acquireNodeLock(host, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir }), { instanceOf: LockedError });
  t.regex(e!.message, /^node1 is being worked on by pid 1 on ctl \(run other-run, since 2026-01-01T00:00:00\.000Z\): the node's lock .* is held$/);
});

// The take script's answer as a node could give it (a full /var, a cut connection): a FakeHost
// answers it line by line, so each field and the retries can be pinned.
const TAKE = (argv: readonly string[]) => argv[0] === 'sh' && /^umask 077/.test(argv[2] ?? '');
const TAKE_OVER = (argv: readonly string[]) => argv[0] === 'sh' && /^\[ "\$\(head -n 1 /.test(argv[2] ?? '');
const HOLDER_LINE = JSON.stringify({ pid: 1, hostname: 'ctl', since: '2026-01-01T00:00:00.000Z', command: 'provision', runId: 'other-run', machineId: OTHER, local: false, nodeBootId: 'b' });
const FAKE_DIR = '/nonexistent/sriov-lxc-test/node.lock';
function answering(...takes: string[]): FakeHost {
  const fake = new FakeHost('node1');
  for (const out of takes) fake.on(TAKE, { stdout: out }, 1);
  return fake;
}
const heldWith = (heartbeat: string, rebootLeft: string | undefined) => ['held', HOLDER_LINE, heartbeat, 'boot', '5', ...(rebootLeft === undefined ? [] : [rebootLeft])].join('\n') + '\n';

test('a cut answer (fields missing) is read as unknown: the holder is named, nothing crashes', async (t) => {
  const e = await t.throwsAsync(acquireNodeLock(answering(`held\n${HOLDER_LINE}\n`), { local: false, machineId: ME, runId: 'run-a', command: 'x', dir: FAKE_DIR }), { instanceOf: LockedError });
  t.regex(e!.message, /^node1 is being worked on by pid 1 on ctl \(run other-run, machine bbbbbbbbbbbb, since [^)]*, provision\): the node's lock \/nonexistent\/sriov-lxc-test\/node\.lock is held$/);
});

test('an empty or blank field is unknown, not 0: a stale heartbeat without an announced reboot says so', async (t) => {
  for (const rebootLeft of ['', ' ']) {
    const fake = answering(heldWith(`${STALE_AFTER_S + 100}`, rebootLeft), 'taken\n').on(TAKE_OVER, {});
    const warnings: string[] = [];
    await acquireNodeLock(fake, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir: FAKE_DIR, warn: (w) => warnings.push(w) });
    t.deepEqual(warnings.map((w) => w.replace(/^.*: its/, 'its')), [`its last heartbeat was ${STALE_AFTER_S + 100} s ago`], JSON.stringify(rebootLeft));
  }
});

test('the refusal tells of a reboot only while one is announced and not yet due', async (t) => {
  const refusal = async (rebootLeft: string) => (await t.throwsAsync(acquireNodeLock(answering(heldWith('5', rebootLeft)), { local: false, machineId: ME, runId: 'run-a', command: 'x', dir: FAKE_DIR }), { instanceOf: LockedError }))!.message;
  t.regex(await refusal('120'), /is held; it rebooted the node and may be silent for 120 s more$/);
  for (const left of ['-', '0', '-30']) t.regex(await refusal(left), /is held$/, `seconds left: ${left}`);
});

test('a take-over another run won gives no warning; the lock is tried again', async (t) => {
  const fake = answering(heldWith(`${STALE_AFTER_S + 100}`, '-'), 'taken\n').on(TAKE_OVER, { code: 1 });
  const warnings: string[] = [];
  await acquireNodeLock(fake, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir: FAKE_DIR, warn: (w) => warnings.push(w) });
  t.deepEqual(warnings, []);
  t.is(fake.calls.filter((c) => c.argv && TAKE(c.argv)).length, 2);
});

test('a stale lock that comes back after every take-over: three take-overs, then refused', async (t) => {
  const fake = new FakeHost('node1').on(TAKE, { stdout: heldWith(`${STALE_AFTER_S + 100}`, '-') }).on(TAKE_OVER, {});
  const warnings: string[] = [];
  await t.throwsAsync(acquireNodeLock(fake, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir: FAKE_DIR, warn: (w) => warnings.push(w) }), { instanceOf: LockedError, message: /is being worked on by pid 1 on ctl/ });
  t.is(fake.calls.filter((c) => c.argv && TAKE_OVER(c.argv)).length, 3);
  t.is(warnings.length, 3);
});

test('a heartbeat the node cannot write is an error naming why; a lost lock says what to do', async (t) => {
  const fake = answering('taken\n');
  const lock = await acquireNodeLock(fake, { local: false, machineId: ME, runId: 'run-a', command: 'x', dir: FAKE_DIR });
  fake.on((argv) => argv[0] === 'sh', { code: 1, stderr: "touch: cannot touch '/var/lib/sriov-lxc/node.lock/heartbeat': No space left on device\n" }, 1);
  const e = await t.throwsAsync(lock.heartbeat(), { instanceOf: LockedError });
  t.false(e instanceof NodeLockLostError);
  t.is(e!.message, `node1: cannot update the node's lock ${FAKE_DIR} (exit code 1): touch: cannot touch '/var/lib/sriov-lxc/node.lock/heartbeat': No space left on device`);
  fake.on((argv) => argv[0] === 'sh', { code: 3, stdout: `${HOLDER_LINE}\n` }, 1);
  const held = await t.throwsAsync(lock.verify(), { instanceOf: NodeLockLostError });
  t.regex(held!.hint ?? '', /^let that run finish, then run the same command again: it resumes from the checkpoint$/);
  fake.on((argv) => argv[0] === 'sh', { code: 3 }, 1);
  const removed = await t.throwsAsync(lock.heartbeat(), { instanceOf: NodeLockLostError, message: /it was removed/ });
  t.regex(removed!.hint ?? '', /^check who removed \/nonexistent\/sriov-lxc-test\/node\.lock on the node/);
});
