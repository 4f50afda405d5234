import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listRuns, readRunArtifact, writeRunArtifact } from '../../../state/results.ts';
import { runDir } from '../../../state/state-dir.ts';
import { UsageError } from '../../../core/errors.ts';

function stateDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriov-lxc-results-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const older = '2026-01-24T20-01-02-123Z-1a2b3c4d';
const newer = '2026-01-25T08-00-00-000Z-9f8e7d6c';

test('an artefact is written under its run, replaced whole, and read back', (t) => {
  const dir = stateDir(t);
  const file = writeRunArtifact(dir, 'node1', older, 'benchmark.json', '{"v":1}\n');
  t.is(file, path.join(runDir(dir, 'node1', older), 'benchmark.json'));
  writeRunArtifact(dir, 'node1', older, 'benchmark.json', new TextEncoder().encode('{"v":2}\n'));
  t.is(readRunArtifact(dir, 'node1', older, 'benchmark.json'), '{"v":2}\n');
  t.deepEqual(fs.readdirSync(runDir(dir, 'node1', older)), ['benchmark.json'], 'no temp file is left');
});

test('a missing artefact reads as undefined', (t) => {
  t.is(readRunArtifact(stateDir(t), 'node1', older, 'report.md'), undefined);
});

test('runs are listed newest first; a host without runs has none', (t) => {
  const dir = stateDir(t);
  t.deepEqual(listRuns(dir, 'node1'), []);
  writeRunArtifact(dir, 'node1', newer, 'report.md', '# newer');
  writeRunArtifact(dir, 'node1', older, 'report.md', '# older');
  t.deepEqual(listRuns(dir, 'node1'), [newer, older]);
});

test('artefact names and run ids that would leave the run directory are refused', (t) => {
  const dir = stateDir(t);
  t.throws(() => writeRunArtifact(dir, 'node1', older, '../checkpoint.json', 'x'), { instanceOf: UsageError, message: /Invalid artefact name/ });
  t.throws(() => writeRunArtifact(dir, 'node1', '..', 'a.json', 'x'), { instanceOf: UsageError, message: /Invalid run id/ });
  t.false(fs.existsSync(path.join(dir, 'hosts')));
});
