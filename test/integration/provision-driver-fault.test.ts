// A driver build that fails (the lab's `driver-build-fails`: make exits 2 like a header
// mismatch): the run stops with the stage and the build's error in the state; once the cause is
// gone, --retry-failed continues from that stage without re-applying the ones before it.
import test from 'ava';
import { labFault } from '../../lab/index.ts';
import {
  NODE,
  assertProvisioned,
  describeRun,
  hostReport,
  jsonOf,
  onlyWithoutBenchmark,
  provisionArgs,
  runCli,
  stageOf,
  useLab,
  type StatusReport,
} from '../helpers/lab-fixture.ts';

const lab = useLab(test, 'debian12');

function statusStages(report: StatusReport): Map<string, StatusReport['hosts'][number]['stages'][number]> {
  const host = report.hosts.find((h) => h.host === NODE);
  return new Map((host?.stages ?? []).map((s) => [s.id, s]));
}

test.serial('lab: driver-build-fails: exit 1, the state names driver-build and the build error; --retry-failed finishes from there', async (t) => {
  t.timeout(300_000);
  await labFault(lab().dir, NODE, 'driver-build-fails', true);
  t.teardown(() => labFault(lab().dir, NODE, 'driver-build-fails', false));

  const failed = await runCli('provision', provisionArgs(lab(), ...onlyWithoutBenchmark()));
  t.is(failed.code, 1, describeRun(failed));
  const report = hostReport(failed);
  t.is(report.failedStage, 'driver-build');
  t.is(stageOf(report, 'bios-verify').status, 'done');

  const status = await runCli('status', ['--state-dir', lab().stateDir, '--json']);
  t.is(status.code, 0, describeRun(status));
  const stages = statusStages(jsonOf<StatusReport>(status));
  const driver = stages.get('driver-build');
  t.is(driver?.status, 'failed');
  t.regex(driver?.error?.command ?? '', /\bmake\b/, 'the failed command');
  t.is(driver?.error?.code, 2, "make's exit code");
  t.regex(driver?.error?.stderrTail ?? '', /Error 2/, "the tail of the build's error output");
  t.truthy(driver?.error?.hint);
  t.is(stages.get('bios-verify')?.status, 'done');
  for (const id of ['modules-hugepages', 'kernel-cmdline', 'reboot']) t.is(stages.get(id)?.status, 'pending', `${id} not started`);

  await labFault(lab().dir, NODE, 'driver-build-fails', false);
  const retried = await runCli('provision', provisionArgs(lab(), '--retry-failed', ...onlyWithoutBenchmark()), 240_000);
  t.is(retried.code, 0, describeRun(retried));
  const again = hostReport(retried);
  t.is(again.reboots, 1);
  const bios = stageOf(again, 'bios-verify');
  t.is(bios.status, 'skipped', 'bios-verify, before the failed stage, is not run again');
  t.false(bios.changed);
  const build = stageOf(again, 'driver-build');
  t.is(build.status, 'done');
  t.true(build.changed, 'the driver is built this time');
  for (const s of again.stages) {
    const expected = s.id === 'bios-verify' || s.id === 'benchmark' ? 'skipped' : 'done';
    t.is(s.status, expected, `${s.id}: ${JSON.stringify(s.error)}`);
  }
  await assertProvisioned(t, lab());
});
