// The paper's problem: VF MACs come up random after every driver load (the lab's
// `random-vf-macs`). After provisioning, a reboot alone (no run of the tool) brings the
// inventory's MACs back: the mac-reset stage's boot unit re-applies them, and the 82599's per-VF
// settings with them (Intel's PF driver takes them after the MAC).
import test from 'ava';
import { labFault, labReboot } from '../../lab/index.ts';
import {
  NODE,
  allVfMacs,
  assertProvisioned,
  bootId,
  describeRun,
  onNode,
  onlyWithoutBenchmark,
  plannedMacs,
  provisionArgs,
  runCli,
  useLab,
  vfTable,
  waitFor,
} from '../helpers/lab-fixture.ts';
import { VF_SETTINGS, assertVfSettings, editedLab } from '../helpers/nic-lab.ts';

const labOfFile = useLab(test, 'debian12');
/** The lab's node (an 82599, the lab's default NIC) with per-VF settings in its inventory. */
const lab = () => editedLab(labOfFile(), 'settings', (pf) => (pf.vfSettings = VF_SETTINGS));
const MAC_UNIT = 'sriov-lxc-vf-macs.service';

test.serial('lab: random-vf-macs: after a reboot the VFs have the inventory MACs again, without running the tool', async (t) => {
  t.timeout(120_000);
  const run = await runCli('provision', provisionArgs(lab(), ...onlyWithoutBenchmark()));
  t.is(run.code, 0, describeRun(run));
  await assertVfSettings(t, lab());

  await labFault(lab().dir, NODE, 'random-vf-macs', true);
  const before = await bootId(lab());
  await labReboot(lab().dir, NODE, { wait: true, timeoutMs: 60_000 });
  t.not(await bootId(lab()), before, 'a new boot');

  const planned = plannedMacs(lab().plan);
  let seen: Record<string, string[]> = {};
  await waitFor('the planned VF MACs after boot', async () => {
    seen = await allVfMacs(lab());
    return JSON.stringify(seen) === JSON.stringify(planned) ? true : undefined;
  }, 60_000, 500).catch(() => undefined);
  t.deepEqual(seen, planned, 'vfinfo_list after boot shows the inventory MACs');
  await assertProvisioned(t, lab());
  await assertVfSettings(t, lab());
});

// The control: the same reboot with the boot unit disabled leaves the driver's random MACs, so
// the test above sees the unit's work, not a lab that kept the old MACs.
test.serial('lab: random-vf-macs: with the boot unit disabled, the MACs after a reboot are random', async (t) => {
  t.timeout(60_000);
  await onNode(lab(), ['systemctl', 'disable', MAC_UNIT]);
  await labReboot(lab().dir, NODE, { wait: true, timeoutMs: 60_000 });
  const planned = plannedMacs(lab().plan);
  const seen = await allVfMacs(lab());
  for (const [pf, macs] of Object.entries(planned)) {
    t.is(seen[pf]?.length, macs.length, `${pf} has its VFs`);
    t.deepEqual(macs.filter((m) => seen[pf]?.includes(m)), [], `${pf}: no planned MAC without the unit`);
  }
  // A driver load starts VFs with no settings: without the unit, VF 0 lost its VLAN and rate.
  const table = await vfTable(lab(), 'enp4s0f0');
  t.like(table[0], { vf: 0, vlan: 0, maxTxRate: 0 }, `VF 0 without the unit: ${JSON.stringify(table[0])}`);
});
