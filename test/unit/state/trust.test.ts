// The state dir is root's alone (issue 17, defect 8): created 0700, a state dir another user owns
// or can write is refused, nothing is written through a link planted there, and every file is 0600.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { openCheckpoint } from '../../../state/checkpoint.ts';
import { Journal } from '../../../state/journal.ts';
import { acquireLock } from '../../../state/lock.ts';
import { writeRunArtifact } from '../../../state/results.ts';
import { checkpointPath, hostDir, journalPath, lockPath, prepareStateDir } from '../../../state/state-dir.ts';

const OTHER_UID = 65534;

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriov-lxc-trust-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (file: string): number => fs.lstatSync(file).mode & 0o777;

test('a new state dir, its hosts/ and each host dir are created 0700', (t) => {
  const state = path.join(tempDir(t), 'state');
  prepareStateDir(state, { create: true });
  t.is(mode(state), 0o700);
  openCheckpoint(state, 'node1', 'plan');
  t.is(mode(path.join(state, 'hosts')), 0o700);
  t.is(mode(hostDir(state, 'node1')), 0o700);
});

test('the state dir is created 0700 also when a state module is the first to write (parents too)', (t) => {
  const state = path.join(tempDir(t), 'a', 'state');
  new Journal(state, 'node1').append({ runId: 'r', event: 'run-start' });
  for (const dir of [path.dirname(state), state, path.join(state, 'hosts'), hostDir(state, 'node1')]) t.is(mode(dir), 0o700, dir);
});

test('a state dir owned by another user is refused, naming path, owner, mode and the fix', (t) => {
  const state = tempDir(t);
  fs.chownSync(state, OTHER_UID, OTHER_UID);
  for (const attempt of [() => prepareStateDir(state, { create: true }), () => openCheckpoint(state, 'node1', 'plan'), () => new Journal(state, 'node1')]) {
    const error = t.throws(attempt, { instanceOf: UsageError })!;
    t.true(error.message.includes(state), error.message);
    t.regex(error.message, /owner uid 65534, mode 0700\): it is owned by uid 65534/);
    t.regex(error.hint!, /chown 0 .* && chmod 700 |--state-dir/);
  }
  t.false(fs.existsSync(path.join(state, 'hosts')), 'nothing written there');
});

test('a state dir writable by its group or by everyone is refused', (t) => {
  for (const bits of [0o777, 0o770, 0o1777]) {
    const state = tempDir(t);
    fs.chmodSync(state, bits);
    const error = t.throws(() => prepareStateDir(state, { create: true }), { instanceOf: UsageError })!;
    t.regex(error.message, /writable by its group/);
    t.throws(() => acquireLock(state, 'node1', { command: 'test' }), { instanceOf: UsageError });
    t.false(fs.existsSync(path.join(state, 'hosts')));
  }
});

test('a host dir another user prepared is refused', (t) => {
  const state = tempDir(t);
  fs.mkdirSync(hostDir(state, 'node1'), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.join(state, 'hosts'), 0o777);
  t.throws(() => openCheckpoint(state, 'node1', 'plan'), { instanceOf: UsageError, message: /hosts \(owner uid 0, mode 0777\)/ });
});

test('a symbolic link in place of the state dir is refused', (t) => {
  const base = tempDir(t);
  fs.mkdirSync(path.join(base, 'real'), { mode: 0o700 });
  fs.symlinkSync(path.join(base, 'real'), path.join(base, 'state'));
  t.throws(() => prepareStateDir(path.join(base, 'state'), { create: true }), { instanceOf: UsageError, message: /symbolic link/ });
});

test('a state dir under a directory others can write (not sticky) is refused', (t) => {
  const base = tempDir(t);
  fs.chmodSync(base, 0o777);
  t.throws(() => prepareStateDir(path.join(base, 'state'), { create: true }), { instanceOf: UsageError, message: /another user could replace it/ });
  t.false(fs.existsSync(path.join(base, 'state')));
});

test('the journal is never appended through a link; the file it points to is unchanged', (t) => {
  const state = tempDir(t);
  const victim = path.join(tempDir(t), 'victim');
  fs.writeFileSync(victim, 'root only\n', { mode: 0o600 });
  fs.mkdirSync(hostDir(state, 'node1'), { recursive: true, mode: 0o700 });
  fs.symlinkSync(victim, journalPath(state, 'node1'));
  const journal = new Journal(state, 'node1');
  t.throws(() => journal.append({ runId: 'r', event: 'run-start' }), { code: 'ELOOP' });
  t.is(fs.readFileSync(victim, 'utf8'), 'root only\n');
  t.is(mode(victim), 0o600);
});

test('checkpoint, journal, lock and results are 0600, also a journal an older version left 0644', (t) => {
  const state = tempDir(t);
  fs.mkdirSync(hostDir(state, 'node1'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(journalPath(state, 'node1'), '', { mode: 0o644 });
  fs.chmodSync(journalPath(state, 'node1'), 0o644);
  const release = acquireLock(state, 'node1', { command: 'test' });
  t.teardown(release);
  const store = openCheckpoint(state, 'node1', 'plan');
  store.newRun('r1');
  new Journal(state, 'node1').append({ runId: 'r1', event: 'run-start' });
  const result = writeRunArtifact(state, 'node1', 'r1', 'benchmark.json', '{}\n');
  for (const file of [checkpointPath(state, 'node1'), journalPath(state, 'node1'), lockPath(state, 'node1'), result]) t.is(mode(file), 0o600, file);
  t.is(mode(path.dirname(result)), 0o700);
});
