import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Journal, readJournal } from '../../../state/journal.ts';
import { journalPath } from '../../../state/state-dir.ts';

function stateDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriov-lxc-journal-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('entries are appended one JSON line each, with a timestamp, and read back in order', (t) => {
  const dir = stateDir(t);
  const journal = new Journal(dir, 'node1');
  journal.append({ runId: 'r1', event: 'run-start', command: 'provision --host node1' });
  journal.append({ runId: 'r1', event: 'stage-done', stage: 'bios-verify', changed: false });
  const lines = fs.readFileSync(journalPath(dir, 'node1'), 'utf8').split('\n');
  t.is(lines.length, 3);
  t.is(lines[2], '');
  const { entries, skipped } = readJournal(dir, 'node1');
  t.is(skipped, 0);
  t.like(entries, [{ runId: 'r1', event: 'run-start', command: 'provision --host node1' }, { event: 'stage-done', stage: 'bios-verify', changed: false }]);
  t.false(Number.isNaN(Date.parse(entries[0]!.ts)));
});

test('entries of one run can be picked out', (t) => {
  const dir = stateDir(t);
  const journal = new Journal(dir, 'node1');
  journal.append({ runId: 'r1', event: 'run-end' });
  journal.append({ runId: 'r2', event: 'run-start' });
  t.deepEqual(readJournal(dir, 'node1', 'r2').entries.map((e) => e.runId), ['r2']);
});

test('a host without a journal has no entries', (t) => {
  t.deepEqual(readJournal(stateDir(t), 'node1'), { entries: [], skipped: 0 });
});

test('a torn last line is skipped, and the next writer starts on a line of its own', (t) => {
  const dir = stateDir(t);
  new Journal(dir, 'node1').append({ runId: 'r1', event: 'stage-start', stage: 'reboot' });
  fs.appendFileSync(journalPath(dir, 'node1'), '{"ts":"2026-01-24T20:00:00.000Z","runId":"r1","ev');
  t.is(readJournal(dir, 'node1').entries.length, 1);
  t.is(readJournal(dir, 'node1').skipped, 1);

  const next = new Journal(dir, 'node1');
  next.append({ runId: 'r2', event: 'run-start' });
  next.append({ runId: 'r2', event: 'boot-seen', bootId: 'b' });
  const { entries, skipped } = readJournal(dir, 'node1');
  t.deepEqual(entries.map((e) => e.event), ['stage-start', 'run-start', 'boot-seen']);
  t.is(skipped, 1);
});

test('lines that are JSON but not entries are skipped too', (t) => {
  const dir = stateDir(t);
  fs.mkdirSync(path.dirname(journalPath(dir, 'node1')), { recursive: true });
  fs.writeFileSync(journalPath(dir, 'node1'), '[1]\n{"runId":"r1"}\nnull\n');
  t.deepEqual(readJournal(dir, 'node1'), { entries: [], skipped: 3 });
});
