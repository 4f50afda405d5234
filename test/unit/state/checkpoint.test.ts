import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCheckpoint, readCheckpoint, stageErrorFrom } from '../../../state/checkpoint.ts';
import { migrateCheckpoint, type MigrationTable } from '../../../state/checkpoint-schema.ts';
import { checkpointPath } from '../../../state/state-dir.ts';
import { CommandError, StateError } from '../../../core/errors.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/state/', import.meta.url));
const ORDER = ['bios-verify', 'driver-build', 'kernel-cmdline', 'reboot'];

function stateDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriov-lxc-checkpoint-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function onDisk(dir: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(checkpointPath(dir, 'node1'), 'utf8'));
}

function placeFile(dir: string, content: string): string {
  const file = checkpointPath(dir, 'node1');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function siblings(dir: string): string[] {
  return fs.readdirSync(path.dirname(checkpointPath(dir, 'node1'))).sort();
}

test('a new host gets a checkpoint file at once, of our schema version; the run id goes with the next write', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  t.like(onDisk(dir), { schemaVersion: 1, host: 'node1', runId: '', planHash: 'plan-1', boots: [], stages: {} });
  store.newRun('run-1');
  t.is(onDisk(dir).runId, '', 'the run id alone is not worth a write');
  store.flush();
  const file = onDisk(dir);
  t.like(file, { schemaVersion: 1, host: 'node1', runId: 'run-1', planHash: 'plan-1', boots: [], stages: {} });
  t.deepEqual(store.get(), file as unknown);
  t.is(store.previousPlanHash, undefined);
  t.deepEqual(store.stage('bios-verify'), { status: 'pending', attempts: 0 });
});

test('a deferred done waits in memory until the next write or flush, which take every waiting record along', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  store.markDone('bios-verify', { inputsHash: 'in-1', outputs: { vtx: true }, changed: false, durationMs: 5, deferred: true });
  store.markDone('driver-build', { inputsHash: 'in-2', changed: false, durationMs: 6, deferred: true });
  t.like(store.stage('bios-verify'), { status: 'done', inputsHash: 'in-1' }, 'memory has it');
  t.deepEqual(onDisk(dir).stages, {}, 'the file does not yet');
  t.is(readCheckpoint(dir, 'node1')!.stages['bios-verify'], undefined);
  // A write that matters (before a side effect) takes the waiting records with it.
  store.markRunning('kernel-cmdline', { inputsHash: 'in-3' });
  t.like(onDisk(dir).stages, { 'bios-verify': { status: 'done', inputsHash: 'in-1', outputs: { vtx: true } }, 'driver-build': { status: 'done' }, 'kernel-cmdline': { status: 'running' } });
  store.markDone('reboot', { inputsHash: 'in-4', changed: false, durationMs: 1, deferred: true });
  t.is(onDisk(dir).stages['reboot'], undefined);
  store.flush();
  t.like(openCheckpoint(dir, 'node1', 'plan-1').stage('reboot'), { status: 'done', inputsHash: 'in-4' });
});

test('a deferred record the schema refuses is refused at once, as a write would be', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  t.throws(() => store.markDone('bios-verify', { changed: false, durationMs: -1, deferred: true }), { instanceOf: StateError });
  t.deepEqual(store.stage('bios-verify'), { status: 'pending', attempts: 0 });
});

test('every mark is on disk when it returns, and survives a re-open', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  store.markRunning('driver-build', { inputsHash: 'in-1', bootId: 'boot-a' });
  t.like(onDisk(dir).stages['driver-build'], { status: 'running', attempts: 1, inputsHash: 'in-1', bootId: 'boot-a' });
  t.truthy(onDisk(dir).stages['driver-build'].startedAt);

  store.markDone('driver-build', { outputs: { version: '5.19.6' }, changed: true, durationMs: 1234 });
  const reopened = openCheckpoint(dir, 'node1', 'plan-1');
  t.like(reopened.stage('driver-build'), { status: 'done', attempts: 1, inputsHash: 'in-1', changed: true, durationMs: 1234, outputs: { version: '5.19.6' } });
  t.truthy(reopened.stage('driver-build').finishedAt);
});

test('a failure keeps the error; the next attempt counts up and drops old results', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  store.markRunning('driver-build', { inputsHash: 'in-1' });
  store.markFailed('driver-build', { message: 'make failed', hint: 'install kernel headers', code: 2 }, { durationMs: 10 });
  t.like(onDisk(dir).stages['driver-build'], { status: 'failed', attempts: 1, durationMs: 10, error: { message: 'make failed', hint: 'install kernel headers', code: 2 } });

  const running = store.markRunning('driver-build', { inputsHash: 'in-1' });
  t.is(running.attempts, 2);
  t.is(running.error, undefined);
  t.is(running.finishedAt, undefined);
  const done = store.markDone('driver-build', { outputs: { ok: true }, changed: true, durationMs: 5 });
  t.is(done.error, undefined);
});

test('markDone records the inputs hash of a stage check() found done', (t) => {
  const store = openCheckpoint(stateDir(t), 'node1', 'plan-1');
  t.like(store.markDone('bios-verify', { inputsHash: 'in-9', changed: false, durationMs: 1 }), { status: 'done', attempts: 0, inputsHash: 'in-9' });
});

test('update merges, and a key set to undefined is removed', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  store.markFailed('reboot', { message: 'timed out' });
  store.update('reboot', { error: undefined, status: 'pending' });
  t.deepEqual(onDisk(dir).stages['reboot'].error, undefined);
  t.is(store.stage('reboot').status, 'pending');
});

test('reboots a stage requested count up across boots until the stage is done again', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  store.markRunning('reboot', { inputsHash: 'in-r', bootId: 'boot-a' });
  const first = store.markRebooting('reboot', { prevBootId: 'boot-a', expected: 'a kernel command line with intel_iommu=on' });
  t.like(first, { status: 'rebooting', bootId: 'boot-a', reboot: { prevBootId: 'boot-a', expected: 'a kernel command line with intel_iommu=on', issued: 1 } });
  store.markRunning('reboot', { inputsHash: 'in-r', bootId: 'boot-a' });
  t.is(store.stage('reboot').reboot?.issued, 1, 'markRunning keeps the reboot record');
  t.is(store.markRebooting('reboot', { prevBootId: 'boot-a', expected: 'a kernel command line with intel_iommu=on' }).reboot?.issued, 2);
  // A new boot that did not reach the goal (a bootloader ignoring the config) still counts.
  store.markFailed('reboot', { message: 'cmdline lacks intel_iommu=on' });
  store.markRunning('reboot', { inputsHash: 'in-r', bootId: 'boot-b' });
  t.is(store.markRebooting('reboot', { prevBootId: 'boot-b', expected: 'a kernel command line with intel_iommu=on' }).reboot?.issued, 3);
  t.is(onDisk(dir).stages['reboot'].reboot.issued, 3);
  // Done resets the count for the next time the stage is re-opened.
  store.markDone('reboot', { changed: true, durationMs: 1 });
  store.markRunning('reboot', { inputsHash: 'in-r', bootId: 'boot-c' });
  t.is(store.markRebooting('reboot', { prevBootId: 'boot-c', expected: 'a kernel command line with intel_iommu=on' }).reboot?.issued, 1);
});

test('recordBoot tells a new boot from the same one and keeps the last 20', (t) => {
  const store = openCheckpoint(stateDir(t), 'node1', 'plan-1');
  t.true(store.recordBoot('boot-a'));
  t.false(store.recordBoot('boot-a'));
  t.true(store.recordBoot('boot-b'));
  for (let i = 0; i < 30; i++) store.recordBoot(`boot-${i}`);
  const boots = store.get().boots;
  t.is(boots.length, 20);
  t.is(boots.at(-1)?.bootId, 'boot-29');
});

test('invalidate re-opens a stage and every later one, leaving earlier ones', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  for (const id of ['bios-verify', 'driver-build', 'reboot']) store.markDone(id, { inputsHash: `in-${id}`, changed: true, durationMs: 1 });
  t.deepEqual(store.invalidate(ORDER, 'driver-build'), ['driver-build', 'reboot']);
  t.is(onDisk(dir).stages['bios-verify'].status, 'done');
  t.deepEqual(onDisk(dir).stages['driver-build'], { status: 'pending', attempts: 0 });
  t.deepEqual(store.stage('reboot'), { status: 'pending', attempts: 0 });
  t.throws(() => store.invalidate(ORDER, 'no-such-stage'), { message: /not in the stage order/ });
});

test('reset forgets the named stages, or all of them, and keeps the boot history', (t) => {
  const store = openCheckpoint(stateDir(t), 'node1', 'plan-1');
  store.recordBoot('boot-a');
  for (const id of ORDER) store.markDone(id, { changed: false, durationMs: 1 });
  store.reset(['reboot']);
  t.deepEqual(Object.keys(store.get().stages), ['bios-verify', 'driver-build', 'kernel-cmdline']);
  store.reset();
  t.deepEqual(store.get().stages, {});
  t.is(store.get().boots.length, 1);
});

test('a changed plan hash is recorded and the old one reported', (t) => {
  const dir = stateDir(t);
  openCheckpoint(dir, 'node1', 'plan-1');
  t.is(openCheckpoint(dir, 'node1', 'plan-1').previousPlanHash, undefined);
  const changed = openCheckpoint(dir, 'node1', 'plan-2');
  t.is(changed.previousPlanHash, 'plan-1');
  t.is(onDisk(dir).planHash, 'plan-2');
});

test('stage ids that are not ours and records the schema refuses are never written', (t) => {
  const dir = stateDir(t);
  const store = openCheckpoint(dir, 'node1', 'plan-1');
  t.throws(() => store.stage('__proto__'), { message: /Invalid stage id/ });
  t.throws(() => store.update('bios-verify', { status: 'finished' as 'done' }), { instanceOf: StateError, message: /status/ });
  t.deepEqual(onDisk(dir).stages, {});
  t.is(store.stage('bios-verify').status, 'pending');
});

const damaged: Array<[string, string, RegExp]> = [
  ['truncated JSON', fs.readFileSync(path.join(fixtures, 'checkpoint-v1.json'), 'utf8').slice(0, 300), /not valid JSON/],
  ['an empty file', '', /empty/],
  ['a JSON array', '[]', /not a JSON object but an array/],
  ['no schemaVersion', '{"host":"node1"}', /schemaVersion is missing/],
  ['a bad stage status', fs.readFileSync(path.join(fixtures, 'checkpoint-v1.json'), 'utf8').replace('"rebooting"', '"restarting"'), /stages\.reboot\.status/],
];

for (const [what, content, reason] of damaged) {
  test(`a checkpoint with ${what} is moved aside, named in the error, and a fresh one can start`, (t) => {
    const dir = stateDir(t);
    const file = placeFile(dir, content);
    const error = t.throws(() => openCheckpoint(dir, 'node1', 'plan-1'), { instanceOf: StateError });
    t.true(error.message.includes(file), error.message);
    t.regex(error.message, reason);
    t.false(fs.existsSync(file));
    const kept = siblings(dir).filter((name) => name.startsWith('checkpoint.json.corrupt-'));
    t.is(kept.length, 1);
    const keptPath = path.join(path.dirname(file), kept[0]!);
    t.is(fs.readFileSync(keptPath, 'utf8'), content);
    t.true(error.hint?.includes(keptPath), error.hint);

    const fresh = openCheckpoint(dir, 'node1', 'plan-1');
    t.deepEqual(fresh.get().stages, {});
    t.true(fs.existsSync(keptPath), 'the bad file is never deleted');
  });
}

test('the valid v1 fixture opens as it is', (t) => {
  const dir = stateDir(t);
  placeFile(dir, fs.readFileSync(path.join(fixtures, 'checkpoint-v1.json'), 'utf8'));
  const store = openCheckpoint(dir, 'node1', '0123456789abcdef');
  t.is(store.stage('reboot').reboot?.expectedParams?.join(' '), 'intel_iommu=on iommu=pt');
  t.is(store.get().runId, '2026-01-24T20-01-02-123Z-1a2b3c4d');
});

test('a checkpoint from a newer sriov-lxc is left untouched', (t) => {
  const dir = stateDir(t);
  const content = fs.readFileSync(path.join(fixtures, 'checkpoint-v1.json'), 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 2');
  const file = placeFile(dir, content);
  const error = t.throws(() => openCheckpoint(dir, 'node1', 'plan-1'), { instanceOf: StateError, message: /schema version 2, newer/ });
  t.regex(error.hint ?? '', /upgrade sriov-lxc/);
  t.is(fs.readFileSync(file, 'utf8'), content);
  t.deepEqual(siblings(dir), ['checkpoint.json']);
});

test('an older checkpoint with no migration to ours is left untouched', (t) => {
  const dir = stateDir(t);
  const content = fs.readFileSync(path.join(fixtures, 'checkpoint-v0.json'), 'utf8');
  const file = placeFile(dir, content);
  t.throws(() => openCheckpoint(dir, 'node1', 'plan-1'), { instanceOf: StateError, message: /schema version 0, and no migration/ });
  t.is(fs.readFileSync(file, 'utf8'), content);
});

// A synthetic earlier format (test/fixtures/state/checkpoint-v0.json) and its migration: no v0
// ever shipped; this proves the mechanism the first real migration will use.
const v0ToV1: MigrationTable = {
  0: (old) => ({
    host: old['host'],
    runId: old['run'],
    planHash: old['plan'],
    updatedAt: '2025-11-20T10:00:00.000Z',
    boots: [{ bootId: old['lastBoot'], seenAt: '2025-11-20T10:00:00.000Z' }],
    stages: Object.fromEntries(
      Object.entries(old['stages'] as Record<string, string>).map(([id, status]) => [id, { status, attempts: 1 }]),
    ),
  }),
};

test('migrateCheckpoint applies the steps from the file version up and sets each version', (t) => {
  const v0 = JSON.parse(fs.readFileSync(path.join(fixtures, 'checkpoint-v0.json'), 'utf8'));
  t.like(migrateCheckpoint(v0, v0ToV1), { schemaVersion: 1, runId: '2025-11-20T10-00-00-000Z-1a2b3c4d', stages: { 'driver-build': { status: 'failed' } } });
  t.is(migrateCheckpoint(v0, {}), undefined);
});

test('an older checkpoint is migrated on open; the file as it was is kept beside it', (t) => {
  const dir = stateDir(t);
  const content = fs.readFileSync(path.join(fixtures, 'checkpoint-v0.json'), 'utf8');
  const file = placeFile(dir, content);
  const store = openCheckpoint(dir, 'node1', '0123456789abcdef', { migrations: v0ToV1 });
  t.is(store.migratedFrom, 0);
  t.like(onDisk(dir), { schemaVersion: 1, planHash: '0123456789abcdef', stages: { 'bios-verify': { status: 'done', attempts: 1 } } });
  const kept = siblings(dir).filter((name) => name.startsWith('checkpoint.json.v0-'));
  t.is(kept.length, 1);
  t.is(fs.readFileSync(path.join(path.dirname(file), kept[0]!), 'utf8'), content);
});

test('a checkpoint of another host is refused and left alone; --reset moves it aside and starts afresh', (t) => {
  const dir = stateDir(t);
  const content = fs.readFileSync(path.join(fixtures, 'checkpoint-v1.json'), 'utf8').replace('"host": "node1"', '"host": "node7"');
  const file = placeFile(dir, content);
  t.throws(() => openCheckpoint(dir, 'node1', 'plan-1'), { instanceOf: StateError, message: /belongs to host node7, not node1/ });
  t.is(fs.readFileSync(file, 'utf8'), content);

  const store = openCheckpoint(dir, 'node1', 'plan-1', { reset: true });
  t.deepEqual(store.get().stages, {});
  const kept = siblings(dir).filter((name) => name.startsWith('checkpoint.json.reset-'));
  t.is(kept.length, 1);
  t.is(fs.readFileSync(path.join(path.dirname(file), kept[0]!), 'utf8'), content);
});

test('temp files of writes a killed process left behind are removed on open', (t) => {
  const dir = stateDir(t);
  openCheckpoint(dir, 'node1', 'plan-1');
  const leftover = `${checkpointPath(dir, 'node1')}.tmp-1769284800123abcdef`;
  fs.writeFileSync(leftover, '{"half');
  openCheckpoint(dir, 'node1', 'plan-1');
  t.false(fs.existsSync(leftover));
});

test('readCheckpoint reads without writing: nothing for a new host, the data, or an error that moves nothing', (t) => {
  const dir = stateDir(t);
  t.is(readCheckpoint(dir, 'node1'), undefined);
  t.false(fs.existsSync(path.join(dir, 'hosts')));
  openCheckpoint(dir, 'node1', 'plan-1').markDone('bios-verify', { changed: false, durationMs: 1 });
  t.is(readCheckpoint(dir, 'node1')?.stages['bios-verify']?.status, 'done');

  const file = placeFile(dir, '{"schemaVersion": 1, "host"');
  t.throws(() => readCheckpoint(dir, 'node1'), { instanceOf: StateError, message: /unreadable: not valid JSON/ });
  t.deepEqual(siblings(dir), ['checkpoint.json']);
  t.is(fs.readFileSync(file, 'utf8'), '{"schemaVersion": 1, "host"');
});

test('stageErrorFrom keeps what our errors carry for a person', (t) => {
  const error = new CommandError('make exited 2', { hint: 'install linux-headers', command: 'make install', code: 2, stderrTail: 'no rule' });
  t.deepEqual(stageErrorFrom(error), { message: 'make exited 2', hint: 'install linux-headers', command: 'make install', code: 2, stderrTail: 'no rule' });
  t.deepEqual(stageErrorFrom(new Error('boom')), { message: 'boom' });
  t.deepEqual(stageErrorFrom('plain'), { message: 'plain' });
});
