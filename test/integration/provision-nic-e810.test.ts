// An E810 node (ice/iavf, no max_vfs) on Debian 12: the full pipeline, then a plain reboot brings
// the VFs, their settings and MACs, and the containers back.
import test from 'ava';
import { labReboot } from '../../lab/index.ts';
import { NODE, assertProvisioned, describeRun, hostReport, onNode, onlyWithoutBenchmark, provisionArgs, runCli, stageOf, useLab, waitFor } from '../helpers/lab-fixture.ts';
import { VF_SETTINGS, assertVfSettings, editedLab } from '../helpers/nic-lab.ts';

const lab = useLab(test, 'debian12', undefined, 'e810');

test.serial('lab: e810: full pipeline, then a plain reboot: VFs, VF settings and MACs, containers back', async (t) => {
  t.timeout(360_000);
  const l = editedLab(lab(), 'settings', (pf) => (pf.vfSettings = VF_SETTINGS));
  const run = await runCli('provision', provisionArgs(l, ...onlyWithoutBenchmark()), 240_000);
  t.is(run.code, 0, describeRun(run));
  t.regex(stageOf(hostReport(run), 'bios-verify').reason ?? '', /enp4s0f0 0000:04:00\.0 e810 \(128 VFs\)/);
  t.regex(await onNode(l, ['cat', '/etc/modules-load.d/sriov-lxc.conf']), /^ice\niavf$/m);
  await assertProvisioned(t, l);
  await assertVfSettings(t, l);

  await labReboot(l.dir, NODE, { wait: true, timeoutMs: 60_000 });
  await waitFor('both containers running after the boot', async () => {
    const states = await Promise.all(l.plan.containers.map((c) => onNode(l, ['lxc-info', '-n', c.name, '-s']).catch(() => '')));
    return states.every((s) => s.includes('RUNNING')) ? true : undefined;
  }, 90_000, 500);
  await assertProvisioned(t, l);
  await assertVfSettings(t, l);
});
