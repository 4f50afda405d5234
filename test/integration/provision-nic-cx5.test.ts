// A ConnectX-5 node (mlx5_core for PF and VFs) on Debian 12 with SR-IOV off in its firmware (as
// the lab ships it): the plan includes the firmware step (mstconfig SRIOV_EN=1 NUM_OF_VFS=4), one
// reboot serves it and the kernel params, with per-VF settings (mlx5's VF table); then a plain
// reboot brings everything back, settings included.
import test from 'ava';
import { labReboot } from '../../lab/index.ts';
import {
  NODE,
  assertProvisioned,
  bootCount,
  describeRun,
  hostReport,
  onNode,
  onlyWithoutBenchmark,
  provisionArgs,
  runCli,
  stageOf,
  useLab,
  waitFor,
} from '../helpers/lab-fixture.ts';
import { VF_SETTINGS, assertVfSettings, editedLab } from '../helpers/nic-lab.ts';

const lab = useLab(test, 'debian12', undefined, 'cx5');

test.serial('lab: cx5 with SR-IOV off in firmware: the dry run plans the firmware step; the run reboots once', async (t) => {
  t.timeout(300_000);
  const l = editedLab(lab(), 'settings', (pf) => (pf.vfSettings = VF_SETTINGS));
  t.is((await onNode(l, ['sh', '-c', 'ls /sys/class/net/enp4s0f0/device/ | grep -c sriov || true'])).trim(), '0', 'no SR-IOV capability yet');
  const dry = await runCli('provision', provisionArgs(l, '--dry-run', ...onlyWithoutBenchmark()));
  const firmware = stageOf(hostReport(dry), 'nic-firmware');
  t.is(firmware.status, 'would-change', describeRun(dry));
  t.regex(dry.stdout + dry.stderr, /mstconfig -y -d 0000:04:00\.0 set SRIOV_EN=1 NUM_OF_VFS=4/);

  const boots = bootCount(l);
  const run = await runCli('provision', provisionArgs(l, ...onlyWithoutBenchmark()), 240_000);
  t.is(run.code, 0, describeRun(run));
  t.is(bootCount(l) - boots, 1, 'one reboot for the firmware and the kernel params');
  t.regex(stageOf(hostReport(run), 'bios-verify').reason ?? '', /SR-IOV off in firmware until the reboot/);
  const query = await onNode(l, ['mstconfig', '-d', '04:00.0', 'query']);
  t.regex(query, /^ +SRIOV_EN +True\(1\)/m);
  t.regex(query, /^ +NUM_OF_VFS +4 /m);
  t.is((await onNode(l, ['cat', '/sys/class/net/enp4s0f0/device/sriov_totalvfs'])).trim(), '4');
  t.regex(await onNode(l, ['cat', '/etc/modules-load.d/sriov-lxc.conf']), /^mlx5_core$/m);
  await assertProvisioned(t, l);
  await assertVfSettings(t, l);

  await labReboot(l.dir, NODE, { wait: true, timeoutMs: 60_000 });
  await waitFor('both containers running after the boot', async () => {
    const states = await Promise.all(l.plan.containers.map((c) => onNode(l, ['lxc-info', '-n', c.name, '-s']).catch(() => '')));
    return states.every((s) => s.includes('RUNNING')) ? true : undefined;
  }, 90_000, 500);
  await assertProvisioned(t, l);
  await assertVfSettings(t, l);
  const again = await runCli('provision', provisionArgs(l, ...onlyWithoutBenchmark()), 240_000);
  t.is(again.code, 0, describeRun(again));
  t.false(hostReport(again).stages.some((s) => s.changed), 'a second run changes nothing');
});
