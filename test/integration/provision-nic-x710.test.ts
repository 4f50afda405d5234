// An X710 node (i40e/iavf, no max_vfs) on Debian 12: the tool detects the NIC from the PF's PCI
// id, creates the VFs through sysfs (persisted by a udev rule, no ixgbe.max_vfs on the cmdline),
// applies per-VF settings after the MACs; a plain reboot brings VFs, settings, MACs and containers
// back; a VF count change with containers running is refused naming them, and done with
// --allow-vf-resize, the containers back on their VFs with their MACs.
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
  vfTable,
  waitFor,
} from '../helpers/lab-fixture.ts';
import { VF_SETTINGS, assertVfSettings, editedLab } from '../helpers/nic-lab.ts';

const lab = useLab(test, 'debian12', undefined, 'x710');
const withSettings = () => editedLab(lab(), 'settings', (pf) => (pf.vfSettings = VF_SETTINGS));

test.serial('lab: x710: detected from its PCI id, VFs through sysfs, VF settings after the MACs', async (t) => {
  t.timeout(240_000);
  const l = withSettings();
  t.is(l.plan.nic.setting, 'auto');
  const boots = bootCount(l);
  const run = await runCli('provision', provisionArgs(l, ...onlyWithoutBenchmark()), 240_000);
  t.is(run.code, 0, describeRun(run));
  const report = hostReport(run);
  t.regex(stageOf(report, 'bios-verify').reason ?? '', /enp4s0f0 0000:04:00\.0 x710 \(64 VFs\)/);
  t.regex(stageOf(report, 'nic-firmware').reason ?? '', /no firmware setting needed \(x710/);
  t.is(bootCount(l) - boots, 1, 'one reboot, for the kernel params');
  const cmdline = await onNode(l, ['cat', '/proc/cmdline']);
  t.notRegex(cmdline, /max_vfs/, 'no max_vfs param for i40e');
  t.regex(await onNode(l, ['cat', '/etc/udev/rules.d/70-sriov-lxc.rules']), /KERNELS=="0000:04:00\.0", ATTR\{device\/sriov_numvfs\}="4"/);
  t.regex(await onNode(l, ['cat', '/etc/modules-load.d/sriov-lxc.conf']), /^i40e\niavf$/m);
  await assertProvisioned(t, l);
  await assertVfSettings(t, l);
});

test.serial('lab: x710: a plain reboot brings back the VFs, their settings and MACs, and the containers', async (t) => {
  t.timeout(180_000);
  const l = withSettings();
  await labReboot(l.dir, NODE, { wait: true, timeoutMs: 60_000 });
  await waitFor('both containers running after the boot', async () => {
    const states = await Promise.all(l.plan.containers.map((c) => onNode(l, ['lxc-info', '-n', c.name, '-s']).catch(() => '')));
    return states.every((s) => s.includes('RUNNING')) ? true : undefined;
  }, 90_000, 500);
  await assertProvisioned(t, l);
  await assertVfSettings(t, l);
});

test.serial('lab: x710: a VF count change with containers running is refused naming them; --allow-vf-resize does it', async (t) => {
  t.timeout(300_000);
  const l = editedLab(lab(), 'resize', (pf) => {
    pf.vfSettings = VF_SETTINGS;
    if (pf.name === 'enp4s0f0') pf.vfs = 6;
  });
  const refused = await runCli('provision', provisionArgs(l, ...onlyWithoutBenchmark()), 240_000);
  t.not(refused.code, 0, describeRun(refused));
  const report = hostReport(refused);
  t.is(report.failedStage, 'vf-verify');
  t.regex(report.error?.message ?? '', /these hold one: c1 \(VF 0\)/);
  t.regex(report.error?.hint ?? '', /--allow-vf-resize/);
  t.is((await vfTable(l, 'enp4s0f0')).length, 4, 'nothing was destroyed');
  t.regex(await onNode(l, ['lxc-info', '-n', 'c1', '-s']), /RUNNING/);

  const resized = await runCli('provision', provisionArgs(l, '--allow-vf-resize', ...onlyWithoutBenchmark()), 240_000);
  t.is(resized.code, 0, describeRun(resized));
  t.is((await vfTable(l, 'enp4s0f0')).length, 6);
  await assertProvisioned(t, l);
  await assertVfSettings(t, l);
});
