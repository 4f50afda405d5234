// Issue 17 (5): the lock on the node, on a real file system through LocalHost (the same commands a
// node runs), in a temporary directory instead of /var/lib/sriov-lxc.
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError } from '../../core/errors.ts';
import { LocalHost } from '../../hosts/local.ts';
import { acquireNodeLock, STALE_AFTER_S } from '../../engine/node-lock.ts';

function lockDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-node-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'var-lib-sriov-lxc', 'lock');
}

const host = new LocalHost('node1');

test('a second run (another name, state dir or --local) is refused naming the holder; the same run takes it back', async (t) => {
  const dir = lockDir(t);
  const first = await acquireNodeLock(host, { local: false, runId: 'run-a', command: 'provision --host node1', dir });
  const error = await t.throwsAsync(acquireNodeLock(host, { local: false, runId: 'run-b', command: 'provision --host other-name', dir }), { instanceOf: LockedError });
  t.regex(error!.message, new RegExp(`^node1 is being worked on by pid ${process.pid} on ${hostname()} \\(run run-a, since [0-9T:.Z-]+, provision --host node1\\)`));
  t.regex(error!.hint ?? '', /another inventory name or state dir, or --local/);
  await t.notThrowsAsync(acquireNodeLock(host, { local: false, runId: 'run-a', command: 'provision --host node1', dir }), 'after a reboot the run finds its own lock');
  await first.release();
  t.false(existsSync(dir));
  await t.notThrowsAsync(acquireNodeLock(host, { local: false, runId: 'run-b', command: 'x', dir }));
});

test('release and heartbeat leave another run\'s lock alone', async (t) => {
  const dir = lockDir(t);
  const mine = await acquireNodeLock(host, { local: false, runId: 'run-a', command: 'x', dir });
  rmSync(dir, { recursive: true });
  await acquireNodeLock(host, { local: false, runId: 'run-b', command: 'x', dir });
  await mine.heartbeat();
  await mine.release();
  t.regex(readFileSync(join(dir, 'holder'), 'utf8'), /"runId":"run-b"/);
});

test('stale locks are taken over with a warning: a dead local holder, a heartbeat past the limit', async (t) => {
  const dir = lockDir(t);
  mkdirSync(dir, { recursive: true });
  const dead = { pid: 2 ** 22 + 12345, hostname: hostname(), since: '2026-01-01T00:00:00.000Z', command: 'provision', runId: 'gone' };
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(dead)}\n`);
  writeFileSync(join(dir, 'heartbeat'), '');
  const warnings: string[] = [];
  await acquireNodeLock(host, { local: false, runId: 'run-a', command: 'x', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[0] ?? '', /node1: took over the node's stale lock of pid \d+ on .* \(run gone, .*\): its process is gone/);

  const elsewhere = { pid: 1, hostname: 'other-controller.example', since: '2026-01-01T00:00:00.000Z', command: 'provision', runId: 'remote' };
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(elsewhere)}\n`);
  await t.throwsAsync(acquireNodeLock(host, { local: false, runId: 'run-c', command: 'x', dir }), { instanceOf: LockedError }, 'a fresh heartbeat from another machine holds');
  execFileSync('touch', ['-d', `@${Math.floor(Date.now() / 1000) - STALE_AFTER_S - 60}`, join(dir, 'heartbeat')]);
  await acquireNodeLock(host, { local: false, runId: 'run-c', command: 'x', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[1] ?? '', /took over the node's stale lock of pid 1 on other-controller\.example .*: its last heartbeat was 6\d\d s ago/);
  t.regex(readFileSync(join(dir, 'holder'), 'utf8'), /"runId":"run-c"/);
});

test('a --local holder from an earlier boot of the node is stale: the boot unit\'s run takes over', async (t) => {
  const dir = lockDir(t);
  mkdirSync(dir, { recursive: true });
  const beforeReboot = { pid: 1, hostname: 'node1-uts', since: '2026-01-01T00:00:00.000Z', command: 'provision --local', runId: 'before', local: true, nodeBootId: '00000000-0000-4000-8000-000000000000' };
  writeFileSync(join(dir, 'holder'), `${JSON.stringify(beforeReboot)}\n`);
  writeFileSync(join(dir, 'heartbeat'), '');
  const warnings: string[] = [];
  await acquireNodeLock(host, { local: true, runId: 'resumed', command: 'provision --local', dir, warn: (w) => warnings.push(w) });
  t.regex(warnings[0] ?? '', /took over the node's stale lock of pid 1 on node1-uts .*: it ran on the node \(--local\), which has rebooted since/);
});
