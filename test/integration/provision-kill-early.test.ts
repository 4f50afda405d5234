// The controller killed with SIGKILL the moment the checkpoint says `rebooting`: the reboot may
// not have been issued yet, or be pending on the node. Either way the same command, started at
// once, boots the node exactly once more and finishes.
import test from 'ava';
import {
  assertProvisioned,
  bootCount,
  describeRun,
  finished,
  hostReport,
  onlyWithoutBenchmark,
  provisionArgs,
  readCheckpointFile,
  runCli,
  spawnCli,
  stageOf,
  useLab,
  waitFor,
} from '../helpers/lab-fixture.ts';

const lab = useLab(test, 'centos7');

test.serial('lab: controller killed -9 as soon as the reboot is checkpointed; the same command again boots the node once', async (t) => {
  t.timeout(150_000);
  const args = provisionArgs(lab(), ...onlyWithoutBenchmark());
  const bootsBefore = bootCount(lab());

  const child = spawnCli('provision', args);
  const killed = finished(child, 120_000);
  await waitFor('the checkpoint to say the reboot stage is rebooting', () => (readCheckpointFile(lab().stateDir)?.stages.reboot?.status === 'rebooting' ? true : undefined), 60_000, 2);
  child.kill('SIGKILL');
  t.is((await killed).signal, 'SIGKILL');

  const again = await runCli('provision', args);
  t.is(again.code, 0, describeRun(again));
  const report = hostReport(again);
  t.is(report.reboots, 1, 'the run saw one reboot (the one it found pending or done, or the one it issued)');
  t.is(stageOf(report, 'reboot').status, 'done');
  t.is(bootCount(lab()) - bootsBefore, 1, 'the node booted exactly once across both runs');
  await assertProvisioned(t, lab());
});
