// SIGINT and SIGTERM on the real CLI against a lab node (issue 6): the run stops at the next
// boundary, the stage under way is finished and checkpointed, the exit code is 130 / 143, and a
// later run finishes without redoing what was done.
import test from 'ava';
import { labFault } from '../../lab/index.ts';
import {
  NODE,
  assertProvisioned,
  bootCount,
  describeRun,
  hostReport,
  onlyWithoutBenchmark,
  provisionArgs,
  readCheckpointFile,
  runCli,
  stageOf,
  useLab,
  WITHOUT_BENCHMARK,
} from '../helpers/lab-fixture.ts';
import { atStage, journal, runStoppedAt, type StopPoint } from '../helpers/fault-lab.ts';

const lab = useLab(test, 'centos7');
const args = () => provisionArgs(lab(), ...onlyWithoutBenchmark());
const after = (stage: string) => WITHOUT_BENCHMARK.slice(WITHOUT_BENCHMARK.indexOf(stage) + 1);

const waitingForTheNode: StopPoint = {
  title: 'while the reboot stage waits for the node',
  when: (v) => v.events.some((e) => e.event === 'reboot-requested'),
};

test.serial('lab: signal SIGINT while the run waits for the node to come back: exit 130, the reboot stage stays rebooting, nothing after it starts', async (t) => {
  t.timeout(240_000);
  const bootsBefore = bootCount(lab());
  // The node takes its time: the signal comes while the engine polls for it.
  await labFault(lab().dir, NODE, 'slow-boot', true, 8);
  t.teardown(() => labFault(lab().dir, NODE, 'slow-boot', false));
  const mark = journal(lab().stateDir).length;
  const run = await runStoppedAt(lab().stateDir, args(), [waitingForTheNode], 'SIGINT');
  t.is(run.stoppedAt, waitingForTheNode, describeRun(run.result));
  t.is(run.result.code, 130, describeRun(run.result));
  t.regex(run.result.stderr, /SIGINT: finishing the stage under way, then stopping/);
  const report = hostReport(run.result);
  t.is(report.status, 'interrupted', 'the report is written, the host interrupted, not failed');
  t.is(report.failedStage, undefined);
  t.deepEqual([stageOf(report, 'reboot').status, report.error?.message], ['interrupted', 'interrupted by SIGINT']);
  const checkpoint = readCheckpointFile(lab().stateDir);
  t.is(checkpoint?.stages.reboot?.status, 'rebooting', 'the reboot is recorded as asked for');
  t.deepEqual(after('reboot').filter((id) => checkpoint?.stages[id] !== undefined), [], 'no later stage started');
  t.false(journal(lab().stateDir).slice(mark).some((e) => e.event === 'stage-apply' && after('reboot').includes(String(e.stage))));
  t.true(bootCount(lab()) - bootsBefore <= 1, 'one reboot at most');
});

test.serial('lab: signal SIGTERM during an apply: exit 143 after the stage is done and checkpointed; the next run finishes without redoing it', async (t) => {
  t.timeout(300_000);
  const bootsBefore = bootCount(lab());
  const during: StopPoint = atStage.applying('container-create');
  const run = await runStoppedAt(lab().stateDir, args(), [during], 'SIGTERM');
  t.is(run.stoppedAt, during, describeRun(run.result));
  t.is(run.result.code, 143, describeRun(run.result));
  t.regex(run.result.stderr, /SIGTERM: finishing the stage under way, then stopping/);
  // The first test's reboot may complete during this run (the node boots slowly): counted here.
  const bootsAfterStop = bootCount(lab());
  t.true(bootsAfterStop - bootsBefore <= 1, 'the reboot the first test asked for, at most');
  const stopped = hostReport(run.result);
  t.is(stopped.status, 'interrupted', describeRun(run.result));
  t.deepEqual(stopped.stages.map((s) => [s.id, s.status]).slice(-2), [['container-create', 'done'], ['mac-reset', 'interrupted']]);
  t.is(stopped.error?.message, 'interrupted by SIGTERM; stopped before the next step');
  const checkpoint = readCheckpointFile(lab().stateDir);
  const stage = checkpoint?.stages['container-create'];
  t.is(stage?.status, 'done', 'the stage under way was finished, verified and checkpointed');
  t.true(Date.parse(stage?.finishedAt ?? '') >= run.sentAt!, 'it finished after the signal');
  t.deepEqual(after('container-create').filter((id) => checkpoint?.stages[id] !== undefined), [], 'nothing after it started');
  const resumedFromReboot = checkpoint?.stages.reboot?.status;
  t.is(resumedFromReboot, 'done', 'the interrupted reboot of the first test was resumed');

  const finish = await runCli('provision', args());
  t.is(finish.code, 0, describeRun(finish));
  const report = hostReport(finish);
  t.deepEqual(report.stages.filter((s) => s.changed).map((s) => s.id), after('container-create'), 'only the stages after the interrupted one changed anything');
  t.is(stageOf(report, 'container-create').changed, false);
  t.is(bootCount(lab()), bootsAfterStop, 'the finishing run did not reboot');
  await assertProvisioned(t, lab());
});
