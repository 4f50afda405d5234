// Reboot faults of a lab node's firmware and network (issue 6): a reboot that does not come back,
// a slow boot, a bootloader that ignores its configuration, SSH connections reset. Each test has
// a lab of its own; they run one after another (each waits on reboots, not on the CPU).
import test from 'ava';
import { labFault, nodePower, waitForNode } from '../../lab/index.ts';
import {
  NODE,
  assertProvisioned,
  bootCount,
  bootId,
  describeRun,
  hostReport,
  onNode,
  onlyWithoutBenchmark,
  provisionArgs,
  readCheckpointFile,
  runCli,
  stageOf,
  WITHOUT_BENCHMARK,
} from '../helpers/lab-fixture.ts';
import { journal, labForTest } from '../helpers/fault-lab.ts';

test.serial('lab: fault reboot-hangs: --reboot-timeout 8 stops the run (exit 1) at rebooting; once the node is back the same command resumes with verify, without a second reboot', async (t) => {
  t.timeout(300_000);
  const lab = await labForTest(t, 'centos7');
  const args = provisionArgs(lab, ...onlyWithoutBenchmark(), '--reboot-timeout', '8');
  const bootsBefore = bootCount(lab);
  const bootBefore = await bootId(lab);
  await labFault(lab.dir, NODE, 'reboot-hangs', true);

  const first = await runCli('provision', args);
  t.is(first.code, 1, describeRun(first));
  const report = hostReport(first);
  t.is(stageOf(report, 'reboot').status, 'rebooting', describeRun(first));
  t.regex(report.error?.message ?? '', /did not come back from the reboot/);
  t.regex(report.error?.hint ?? '', /run the same command again/);
  t.is(readCheckpointFile(lab.stateDir)?.stages.reboot?.status, 'rebooting', 'the checkpoint says rebooting');
  t.is(nodePower(lab.dir, NODE)?.phase, 'hung', 'the node is still hanging in its reboot');

  await labFault(lab.dir, NODE, 'reboot-hangs', false);
  await waitForNode(lab.dir, NODE, { notBootId: bootBefore, timeoutMs: 120_000 });
  const mark = journal(lab.stateDir).length;
  const second = await runCli('provision', args);
  t.is(second.code, 0, describeRun(second));
  const resumed = hostReport(second);
  t.is(stageOf(resumed, 'reboot').status, 'done');
  t.is(resumed.reboots, 1, 'the reboot the first run asked for, found done');
  const events = journal(lab.stateDir).slice(mark);
  t.deepEqual(events.filter((e) => e.stage === 'reboot' && (e.event === 'stage-apply' || e.event === 'reboot-requested')), [], 'the resumed run neither applied nor asked for a reboot');
  t.is(bootCount(lab) - bootsBefore, 1, 'the node booted once');
  await assertProvisioned(t, lab);
});

test.serial('lab: fault slow-boot within the reboot timeout: the run waits for the node and finishes', async (t) => {
  t.timeout(300_000);
  const lab = await labForTest(t, 'centos7');
  const bootsBefore = bootCount(lab);
  await labFault(lab.dir, NODE, 'slow-boot', true, 12);
  const run = await runCli('provision', provisionArgs(lab, ...onlyWithoutBenchmark(), '--reboot-timeout', '120'));
  t.is(run.code, 0, describeRun(run));
  const report = hostReport(run);
  t.deepEqual(report.stages.map((s) => [s.id, s.status]), [...WITHOUT_BENCHMARK.map((id) => [id, 'done']), ['benchmark', 'skipped']], describeRun(run));
  t.is(report.reboots, 1);
  t.is(bootCount(lab) - bootsBefore, 1);
  t.true(nodePower(lab.dir, NODE)?.history.some((h) => h.event.startsWith('slow boot: 12 s')), 'the boot was slow');
  await assertProvisioned(t, lab);
});

test.serial('lab: fault grub-ignored: the cmdline check fails; runs again reboot at most up to the budget, then stop naming what was expected and what was found', async (t) => {
  t.timeout(420_000);
  const lab = await labForTest(t, 'centos7');
  const budget = 2;
  const args = provisionArgs(lab, ...onlyWithoutBenchmark(), '--reboot-budget', String(budget));
  const bootsBefore = bootCount(lab);
  await labFault(lab.dir, NODE, 'grub-ignored', true);

  const boots: number[] = [];
  let last: ReturnType<typeof hostReport> | undefined;
  for (let run = 1; run <= budget + 2; run++) {
    const result = await runCli('provision', args);
    t.is(result.code, 1, `run ${run}: ${describeRun(result)}`);
    last = hostReport(result);
    boots.push(bootCount(lab) - bootsBefore);
    t.log(`run ${run}: ${boots.at(-1)} boot(s) so far; ${last.failedStage}: ${last.error?.message}`);
  }
  // Each run reboots once until the budget is spent, then none: exactly `budget` boots in all.
  t.deepEqual(boots, [...Array.from({ length: budget }, (_, i) => i + 1), budget, budget], `one reboot per run up to the budget of ${budget}, then none`);
  const message = last?.error?.message ?? '';
  const cmdline = (await onNode(lab, ['cat', '/proc/cmdline'])).trim();
  for (const param of lab.plan.kernelParams) t.true(message.includes(param), `the message names the expected ${param}: ${message}`);
  t.true(cmdline.length > 0 && message.includes(cmdline), `the message quotes the cmdline the node booted with (${cmdline}): ${message}`);
  t.false(cmdline.includes(lab.plan.kernelParams[0]!), 'the node still runs its old cmdline');
});

test.serial('lab: fault ssh-drops: connections reset before and after the reboot are retried; the run succeeds and --json counts them', async (t) => {
  t.timeout(300_000);
  const lab = await labForTest(t, 'centos7');
  const drops = 3;
  // Armed now and again at every boot of the node.
  await labFault(lab.dir, NODE, 'ssh-drops', true, drops);
  const run = await runCli('provision', provisionArgs(lab, ...onlyWithoutBenchmark()));
  t.is(run.code, 0, describeRun(run));
  const report = hostReport(run);
  t.deepEqual(report.stages.map((s) => [s.id, s.status]), [...WITHOUT_BENCHMARK.map((id) => [id, 'done']), ['benchmark', 'skipped']]);
  t.is(report.reboots, 1);
  // Each reset connection is one failed attempt, before the reboot and after it; polls that met
  // the node down add to the count.
  t.true((report.connectFailures ?? 0) >= 2 * drops, `connectFailures ${report.connectFailures} >= ${2 * drops}`);
  t.is((await onNode(lab, ['cat', '/run/sriov-lab/boot/ssh-drops-left'])).trim(), '0', 'every armed reset happened');
  await assertProvisioned(t, lab);
});
