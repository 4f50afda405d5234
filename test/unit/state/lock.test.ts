import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { acquireLock, isHolderAlive, parseProcStat, readProcStat, type LockHolder } from '../../../state/lock.ts';
import { lockPath } from '../../../state/state-dir.ts';
import { LockedError } from '../../../core/errors.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/state/', import.meta.url));
const holderScript = path.join(fixtures, 'lock-holder.ts');
const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

function stateDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriov-lxc-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function track(t: { teardown: (fn: () => void) => void }, child: ChildProcess): ChildProcess {
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

function placeLock(dir: string, holder: Partial<LockHolder>): string {
  const file = lockPath(dir, 'node1');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const full = { hostname: os.hostname(), bootId, since: '2026-01-24T20:00:00.000Z', command: 'provision --host node1', ...holder };
  fs.writeFileSync(file, JSON.stringify(full));
  return file;
}

function deadPid(): number {
  const result = spawnSync('true');
  if (result.pid === undefined) throw new Error('could not start `true`');
  return result.pid;
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout!) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!;
}

test('/proc/<pid>/stat: state and start time, also with ")" and spaces in the name', (t) => {
  // Captured on this machine: a zombie `sleep`, and a copy of sleep named "odd) name".
  t.deepEqual(parseProcStat(fs.readFileSync(path.join(fixtures, 'proc-stat-zombie.txt'), 'utf8')), { state: 'Z', startTime: 606098 });
  t.deepEqual(parseProcStat(fs.readFileSync(path.join(fixtures, 'proc-stat-odd-name.txt'), 'utf8')), { state: 'S', startTime: 606148 });
  t.throws(() => parseProcStat('garbage'), { message: /Unexpected \/proc\/<pid>\/stat format/ });
});

test('the lock names its holder; a second run is refused with pid, host and since', (t) => {
  const dir = stateDir(t);
  const release = acquireLock(dir, 'node1', { command: 'provision --host node1' });
  t.teardown(release);
  const holder = JSON.parse(fs.readFileSync(lockPath(dir, 'node1'), 'utf8')) as LockHolder;
  t.like(holder, { pid: process.pid, hostname: os.hostname(), bootId, command: 'provision --host node1', startTime: readProcStat(process.pid)?.startTime });

  const error = t.throws(() => acquireLock(dir, 'node1', { command: 'provision --host node1' }), { instanceOf: LockedError });
  t.is(
    error.message,
    `node1 is locked by pid ${process.pid} on ${os.hostname()} since ${holder.since} (provision --host node1): another sriov-lxc run is in progress`,
  );
  t.true(error.hint?.includes(lockPath(dir, 'node1')));
});

test('release removes the lock, and the host can be locked again', (t) => {
  const dir = stateDir(t);
  acquireLock(dir, 'node1', { command: 'a' })();
  t.false(fs.existsSync(lockPath(dir, 'node1')));
  const again = acquireLock(dir, 'node1', { command: 'b' });
  t.true(fs.existsSync(lockPath(dir, 'node1')));
  again();
});

test('release leaves a lock that is no longer ours', (t) => {
  const dir = stateDir(t);
  const release = acquireLock(dir, 'node1', { command: 'a' });
  const file = placeLock(dir, { pid: 1, since: '2026-01-01T00:00:00.000Z' });
  release();
  t.true(fs.existsSync(file));
});

test('a lock of a process that is gone is taken over with a warning', (t) => {
  const dir = stateDir(t);
  const pid = deadPid();
  placeLock(dir, { pid });
  const warnings: string[] = [];
  const release = acquireLock(dir, 'node1', { command: 'resume', warn: (m) => warnings.push(m) });
  t.teardown(release);
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, new RegExp(`took over a stale lock of pid ${pid} on `));
  t.like(JSON.parse(fs.readFileSync(lockPath(dir, 'node1'), 'utf8')), { pid: process.pid, command: 'resume' });
  t.deepEqual(fs.readdirSync(path.dirname(lockPath(dir, 'node1'))), ['lock']);
});

test('a zombie holder counts as gone', async (t) => {
  const dir = stateDir(t);
  // The background `sleep` becomes a child of `sleep 30` through exec, which never reaps it. It
  // outlives the exec: a `sleep 0` could end first and be reaped by sh (seen once in ~20 runs).
  const parent = track(t, spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const pid = Number(await firstLine(parent));
  for (let i = 0; i < 500 && readProcStat(pid)?.state !== 'Z'; i++) await sleep(10);
  t.is(readProcStat(pid)?.state, 'Z', 'the orphaned `sleep 0.2` never became a zombie');
  placeLock(dir, { pid, startTime: readProcStat(pid)!.startTime });
  const warnings: string[] = [];
  acquireLock(dir, 'node1', { command: 'x', warn: (m) => warnings.push(m) })();
  t.is(warnings.length, 1);
});

test('a live holder is refused; the same pid with another start time is a re-used pid, taken over', async (t) => {
  const dir = stateDir(t);
  const sleeper = track(t, spawn('sleep', ['30'], { stdio: 'ignore' }));
  await once(sleeper, 'spawn');
  const pid = sleeper.pid!;
  const startTime = readProcStat(pid)!.startTime;
  placeLock(dir, { pid, startTime });
  t.true(isHolderAlive({ pid, startTime, hostname: os.hostname(), bootId, since: '', command: '' }));
  const error = t.throws(() => acquireLock(dir, 'node1', { command: 'x' }), { instanceOf: LockedError });
  t.regex(error.message, new RegExp(`^node1 is locked by pid ${pid} on ${os.hostname()} since 2026-01-24T20:00:00.000Z`));

  placeLock(dir, { pid, startTime: startTime - 1 });
  const warnings: string[] = [];
  acquireLock(dir, 'node1', { command: 'x', warn: (m) => warnings.push(m) })();
  t.is(warnings.length, 1);
});

test('a lock taken before the last reboot is stale even if its pid runs again', async (t) => {
  const dir = stateDir(t);
  const sleeper = track(t, spawn('sleep', ['30'], { stdio: 'ignore' }));
  await once(sleeper, 'spawn');
  placeLock(dir, { pid: sleeper.pid!, startTime: readProcStat(sleeper.pid!)!.startTime, bootId: '00000000-0000-0000-0000-000000000000' });
  const warnings: string[] = [];
  acquireLock(dir, 'node1', { command: 'x', warn: (m) => warnings.push(m) })();
  t.is(warnings.length, 1);
});

test('a lock from another machine is never taken over, even with a pid dead here', (t) => {
  const dir = stateDir(t);
  const file = placeLock(dir, { pid: deadPid(), hostname: 'ctrl2' });
  const error = t.throws(() => acquireLock(dir, 'node1', { command: 'x' }), { instanceOf: LockedError });
  t.regex(error.message, /on ctrl2 since .*another machine/);
  t.true(fs.existsSync(file));
});

test('a lock file that cannot be parsed is refused, naming it', (t) => {
  const dir = stateDir(t);
  const file = lockPath(dir, 'node1');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'not json');
  t.throws(() => acquireLock(dir, 'node1', { command: 'x' }), { instanceOf: LockedError, message: new RegExp(`lock file ${file} is not readable`) });
});

test('the lock is released when the holder exits, and left behind by kill -9 for a take-over', async (t) => {
  const dir = stateDir(t);
  const exiting = track(t, spawn(process.execPath, [holderScript, dir, 'node1', 'exit'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  t.is(await firstLine(exiting), 'held');
  await once(exiting, 'exit');
  t.false(fs.existsSync(lockPath(dir, 'node1')));

  const killed = track(t, spawn(process.execPath, [holderScript, dir, 'node1', 'hold'], { stdio: ['pipe', 'pipe', 'inherit'] }));
  t.is(await firstLine(killed), 'held');
  killed.kill('SIGKILL');
  await once(killed, 'exit');
  const warnings: string[] = [];
  acquireLock(dir, 'node1', { command: 'x', warn: (m) => warnings.push(m) })();
  t.regex(warnings[0] ?? '', new RegExp(`stale lock of pid ${killed.pid} `));
});

test('runs racing for a stale lock: exactly one gets it', async (t) => {
  const dir = stateDir(t);
  placeLock(dir, { pid: deadPid() });
  const racers = Array.from({ length: 6 }, () =>
    track(t, spawn(process.execPath, [holderScript, dir, 'node1', 'hold'], { stdio: ['pipe', 'pipe', 'ignore'] })),
  );
  const outcomes = await Promise.all(racers.map((racer) => firstLine(racer)));
  t.is(outcomes.filter((o) => o === 'held').length, 1, outcomes.join('\n'));
  t.true(outcomes.filter((o) => o !== 'held').every((o) => /^refused: node1 is locked by pid \d+/.test(o)), outcomes.join('\n'));
  for (const racer of racers) racer.stdin!.end();
  await Promise.all(racers.map((racer) => (racer.exitCode === null ? once(racer, 'exit') : undefined)));
  t.false(fs.existsSync(lockPath(dir, 'node1')));
});
