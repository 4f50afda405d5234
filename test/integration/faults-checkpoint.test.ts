// Damaged checkpoint files on the real CLI (issue 6, "nothing lost"). What state/checkpoint.ts
// does, tested as a user meets it: an unreadable file (truncated, empty, not JSON, wrong shape)
// stops the host with exit 1 and a message naming the file; the file is moved aside, never
// deleted; the next run starts the host afresh and every stage's check finds the node done. A
// file from a newer sriov-lxc or of another host is left where it is until --reset moves it aside.
// A host locked by another run is refused with exit 3.
import test, { type ExecutionContext } from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { acquireLock } from '../../state/lock.ts';
import { checkpointPath } from '../../state/state-dir.ts';
import {
  NODE,
  bootCount,
  describeRun,
  hostReport,
  onlyWithoutBenchmark,
  provisionArgs,
  runCli,
  useLab,
  WITHOUT_BENCHMARK,
} from '../helpers/lab-fixture.ts';

// The node is provisioned first: every test damages a checkpoint of a node that is done.
const lab = useLab(test, 'centos7', async (l) => {
  const run = await runCli('provision', provisionArgs(l, ...onlyWithoutBenchmark()));
  if (run.code !== 0) throw new Error(`provisioning the node first failed\n${describeRun(run)}`);
});
const args = (...extra: string[]) => provisionArgs(lab(), ...onlyWithoutBenchmark(), ...extra);
const file = () => checkpointPath(lab().stateDir, NODE);
const aside = (why: string) => readdirSync(dirname(file())).filter((n) => n.startsWith(`checkpoint.json.${why}-`));

/** The node is provisioned: a fresh start finds every stage done and changes nothing. */
async function recoversWithoutChanges(t: ExecutionContext, extra: string[] = []): Promise<void> {
  const boots = bootCount(lab());
  const run = await runCli('provision', args(...extra));
  t.is(run.code, 0, describeRun(run));
  const report = hostReport(run);
  t.deepEqual(report.stages.filter((s) => WITHOUT_BENCHMARK.includes(s.id)).map((s) => [s.id, s.status, s.changed]), WITHOUT_BENCHMARK.map((id) => [id, 'done', false]));
  t.is(bootCount(lab()), boots, 'no reboot');
}

const damaged: [string, (text: string) => string][] = [
  ['truncated in the middle', (text) => text.slice(0, Math.floor(text.length / 2))],
  ['empty', () => ''],
  ['not JSON', () => 'checkpoint\u0000\u00ff{'],
  ['a JSON array', () => '[]'],
  ['of the wrong shape', (text) => JSON.stringify({ ...JSON.parse(text), stages: 'all done' })],
];

for (const [title, damage] of damaged) {
  test.serial(`lab: fault checkpoint ${title}: exit 1 naming the file, the file kept aside, the next run starts afresh and changes nothing`, async (t) => {
    t.timeout(180_000);
    const bad = damage(readFileSync(file(), 'utf8'));
    writeFileSync(file(), bad);
    const keptBefore = aside('corrupt');

    const refused = await runCli('provision', args());
    t.is(refused.code, 1, describeRun(refused));
    const report = hostReport(refused);
    t.true(report.error?.message.includes(file()), `the message names ${file()}: ${report.error?.message}`);
    t.regex(report.error?.message ?? '', /is unreadable/);
    const kept = aside('corrupt').filter((n) => !keptBefore.includes(n));
    t.is(kept.length, 1, 'the bad file was moved aside');
    t.is(readFileSync(join(dirname(file()), kept[0]!), 'utf8'), bad, 'byte for byte');
    t.true(report.error?.hint?.includes(kept[0]!), `the hint says where it is kept: ${report.error?.hint}`);

    await recoversWithoutChanges(t);
  });
}

test.serial('lab: fault checkpoint from a newer sriov-lxc: refused and left in place, also on the next run; --reset moves it aside and recovers', async (t) => {
  t.timeout(180_000);
  const newer = JSON.stringify({ ...JSON.parse(readFileSync(file(), 'utf8')), schemaVersion: 99 }, null, 2);
  writeFileSync(file(), newer);
  for (const attempt of [1, 2]) {
    const refused = await runCli('provision', args());
    t.is(refused.code, 1, `run ${attempt}: ${describeRun(refused)}`);
    const message = hostReport(refused).error?.message ?? '';
    t.true(message.includes(file()) && /schema version 99, newer than/.test(message), message);
    t.is(readFileSync(file(), 'utf8'), newer, 'left as it is');
  }
  const resetsBefore = aside('reset');
  await recoversWithoutChanges(t, ['--reset']);
  const kept = aside('reset').filter((n) => !resetsBefore.includes(n));
  t.is(kept.length, 1);
  t.is(readFileSync(join(dirname(file()), kept[0]!), 'utf8'), newer, '--reset kept the old file aside');
});

test.serial('lab: fault checkpoint of another host: refused naming both hosts; --reset recovers', async (t) => {
  t.timeout(180_000);
  writeFileSync(file(), JSON.stringify({ ...JSON.parse(readFileSync(file(), 'utf8')), host: 'node7' }, null, 2));
  const refused = await runCli('provision', args());
  t.is(refused.code, 1, describeRun(refused));
  t.regex(hostReport(refused).error?.message ?? '', /belongs to host node7, not node1/);
  await recoversWithoutChanges(t, ['--reset']);
});

test.serial('lab: a second run against a host that another run holds: exit 3 naming the holder; the node untouched; once released the run goes on', async (t) => {
  t.timeout(180_000);
  // A real holder: this test process, alive, takes the host's lock as a first run would.
  const release = acquireLock(lab().stateDir, NODE, { command: 'provision --host node1 (the first run)' });
  let released = false;
  t.teardown(() => {
    if (!released) release();
  });
  const refused = await runCli('provision', args());
  t.is(refused.code, 3, describeRun(refused));
  const report = hostReport(refused);
  t.is(report.status, 'locked');
  const message = report.error?.message ?? '';
  t.true(message.includes(`pid ${process.pid}`) && message.includes(hostname()) && message.includes('(the first run)'), `names the holder: ${message}`);
  t.deepEqual(report.stages, [], 'no stage ran');

  release();
  released = true;
  await recoversWithoutChanges(t);
});
