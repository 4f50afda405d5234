// The lab's short-vfs fault (issue 6): the NIC grants fewer VFs than the kernel cmdline asks for.
// vf-verify waits for them to settle, then stops the host with the planned and the found count
// and the likely causes; no container is created on a node without its VFs. Once the hardware
// grants them (fault cleared, node rebooted), --retry-failed finishes.
import test from 'ava';
import { labFault, labReboot } from '../../lab/index.ts';
import {
  NODE,
  assertProvisioned,
  describeRun,
  hostReport,
  onNode,
  onlyWithoutBenchmark,
  provisionArgs,
  runCli,
  stageOf,
  WITHOUT_BENCHMARK,
} from '../helpers/lab-fixture.ts';
import { labForTest } from '../helpers/fault-lab.ts';

test('lab: fault short-vfs: vf-verify stops the host naming planned and found VFs, no container created; --retry-failed finishes once the VFs are there', async (t) => {
  t.timeout(300_000);
  const lab = await labForTest(t, 'centos7');
  const args = provisionArgs(lab, ...onlyWithoutBenchmark());
  const planned = lab.plan.pfs[0]!;
  await labFault(lab.dir, NODE, 'short-vfs', true, 2);

  const run = await runCli('provision', args);
  t.is(run.code, 1, describeRun(run));
  const report = hostReport(run);
  t.is(report.failedStage, 'vf-verify', describeRun(run));
  const error = stageOf(report, 'vf-verify').error;
  t.regex(error?.message ?? '', new RegExp(`${planned.name} \\([0-9a-f:.]+\\) has 2 VFs, ${planned.vfs} planned \\(sriov_totalvfs \\d+; kernel cmdline: \\S*max_vfs=`));
  t.regex(error?.hint ?? '', /fewer VFs than planned/);
  t.deepEqual(report.stages.map((s) => s.id).slice(-1), ['vf-verify'], 'nothing after vf-verify ran');
  t.is((await onNode(lab, ['lxc-ls'])).trim(), '', 'no container was created');

  await labFault(lab.dir, NODE, 'short-vfs', false);
  await labReboot(lab.dir, NODE, { wait: true, timeoutMs: 60_000 });
  const retried = await runCli('provision', [...args, '--retry-failed']);
  t.is(retried.code, 0, describeRun(retried));
  const after = hostReport(retried);
  const before = WITHOUT_BENCHMARK.slice(0, WITHOUT_BENCHMARK.indexOf('vf-verify'));
  t.deepEqual(after.stages.slice(0, before.length).map((s) => [s.id, s.status]), before.map((id) => [id, 'skipped']), 'the stages before the failed one were left alone');
  t.true(stageOf(after, 'container-create').changed, 'the containers were created now');
  t.is(after.reboots, 0, 'no reboot by the tool: the params were already on the cmdline');
  await assertProvisioned(t, lab);
});
