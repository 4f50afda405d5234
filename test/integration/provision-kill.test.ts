// The controller killed with SIGKILL while it waits for the node to come back from the reboot:
// the same command again finishes the run without rebooting the node a second time.
import test from 'ava';
import {
  NODE,
  bootCount,
  bootId,
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
  WITHOUT_BENCHMARK,
  assertProvisioned,
} from '../helpers/lab-fixture.ts';
import { nodePower } from '../../lab/index.ts';

const lab = useLab(test, 'debian12');

test.serial('lab: controller killed -9 while the node reboots; the same command again finishes without a second reboot', async (t) => {
  t.timeout(150_000);
  const args = provisionArgs(lab(), ...onlyWithoutBenchmark());
  const bootIdBefore = await bootId(lab());
  const bootsBefore = bootCount(lab());

  const child = spawnCli('provision', args);
  const killed = finished(child, 120_000);
  await waitFor('the checkpoint to say the reboot stage is rebooting', () => (readCheckpointFile(lab().stateDir)?.stages.reboot?.status === 'rebooting' ? true : undefined), 60_000, 50);
  // Waiting for the node to come back: the node has left the boot it had when the reboot was asked.
  await waitFor(`${NODE} to go down`, () => {
    const power = nodePower(lab().dir, NODE);
    return power && (power.phase !== 'up' || power.bootId !== bootIdBefore) ? true : undefined;
  }, 30_000, 20);
  child.kill('SIGKILL');
  const first = await killed;
  t.is(first.signal, 'SIGKILL', describeRun(first));
  t.is(readCheckpointFile(lab().stateDir)?.stages.reboot?.status, 'rebooting', 'the killed run left the reboot stage at rebooting');

  const again = await runCli('provision', args);
  t.is(again.code, 0, describeRun(again));
  const report = hostReport(again);
  // The one reboot, started by the killed run, is the boot this run finds: reported once, not repeated.
  t.is(report.reboots, 1, 'the run counts the reboot it found done');
  t.is(stageOf(report, 'reboot').status, 'done');
  for (const id of WITHOUT_BENCHMARK) t.is(stageOf(report, id).status, 'done', `${id} done`);
  t.is(bootCount(lab()) - bootsBefore, 1, 'the node booted exactly once across both runs');
  t.not(await bootId(lab()), bootIdBefore, 'the boot id changed');
  t.is(readCheckpointFile(lab().stateDir)?.stages.reboot?.reboot?.issued, 1, 'one reboot was issued in all');
  await assertProvisioned(t, lab());
});
