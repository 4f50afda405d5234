// The paper's CentOS 7 node for real: a centos7 lab node (iproute 4.11: no `ip -j`) with the
// paper's 8+8 VFs, provisioned, then rebooted plainly through the BMC (no run of the tool): read on
// the node with the text `ip`, not from our state, the paper's params are on /proc/cmdline, 8+8
// VFs carry the inventory's MACs and both containers run with their VF. A second run changes nothing.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labReboot } from '../../lab/index.ts';
import { loadInventory } from '../../inventory/load.ts';
import {
  NODE,
  allVfMacs,
  assertProvisioned,
  bootId,
  describeRun,
  hostReport,
  onNode,
  onlyWithoutBenchmark,
  plannedMacs,
  provisionArgs,
  runCli,
  stageOf,
  useLab,
  waitFor,
  WITHOUT_BENCHMARK,
  type Lab,
} from '../helpers/lab-fixture.ts';

const base = useLab(test, 'centos7');

/** The lab's node with the paper's 8 VFs per port (the lab's inventory plans 4). */
function paperLab(): Lab {
  const lab = base();
  const inventory = parse(readFileSync(lab.info.inventoryPath, 'utf8')) as { hosts: Record<string, { pfs: { vfs: number }[] }> };
  for (const pf of inventory.hosts[NODE]?.pfs ?? []) pf.vfs = 8;
  const inventoryPath = join(lab.dir, 'inventory-8-8.yaml');
  writeFileSync(inventoryPath, stringify(inventory));
  const plan = loadInventory(inventoryPath).hosts.find((h) => h.name === NODE);
  if (!plan) throw new Error(`${inventoryPath} has no ${NODE}`);
  return { ...lab, info: { ...lab.info, inventoryPath }, plan };
}

let lab: Lab;

test.serial('lab: centos7 has no ip -j: the node refuses it as iproute 4.11 does', async (t) => {
  lab = paperLab();
  t.is((await onNode(lab, ['ip', '-V'])).trim(), 'ip utility, iproute2-ss170501');
  const r = await onNode(lab, ['sh', '-c', 'ip -j link show 2>&1; echo "exit $?"']);
  t.regex(r, /^Option "-j" is unknown, try "ip -help".\nexit 255$/m);
});

test.serial('lab: centos7 provisioned with 8+8 VFs, then a plain reboot: cmdline, VFs, MACs and containers read on the node', async (t) => {
  t.timeout(240_000);
  const run = await runCli('provision', provisionArgs(lab, ...onlyWithoutBenchmark()));
  t.is(run.code, 0, describeRun(run));
  t.is(hostReport(run).reboots, 1);

  const before = await bootId(lab);
  await labReboot(lab.dir, NODE, { wait: true, timeoutMs: 90_000 });
  t.not(await bootId(lab), before, 'a new boot');

  const cmdline = (await onNode(lab, ['cat', '/proc/cmdline'])).trim().split(/\s+/);
  for (const p of ['intel_iommu=on', 'iommu=pt', 'ixgbe.max_vfs=8,8']) t.true(cmdline.includes(p), `${p} on /proc/cmdline: ${cmdline.join(' ')}`);

  // VF MACs come back from the mac-reset boot unit, containers from lxc-autostart: both take a moment.
  const planned = plannedMacs(lab.plan);
  t.deepEqual(Object.values(planned).map((m) => m.length), [8, 8]);
  let seen: Record<string, string[]> = {};
  await waitFor('the inventory MACs on 8+8 VFs after the boot', async () => {
    seen = await allVfMacs(lab);
    return JSON.stringify(seen) === JSON.stringify(planned) ? true : undefined;
  }, 60_000, 500).catch(() => undefined);
  t.deepEqual(seen, planned, 'ip link show PF (4.11 text): 8+8 VFs with the inventory MACs');
  await waitFor('both containers running', async () => {
    const states = await Promise.all(lab.plan.containers.map((c) => onNode(lab, ['lxc-info', '-n', c.name, '-s'])));
    return states.every((s) => s.includes('RUNNING')) ? true : undefined;
  }, 60_000, 500).catch(() => undefined);
  await assertProvisioned(t, lab);
});

test.serial('lab: centos7 after the reboot, a second run changes nothing', async (t) => {
  t.timeout(90_000);
  const before = await bootId(lab);
  const run = await runCli('provision', provisionArgs(lab, ...onlyWithoutBenchmark()));
  t.is(run.code, 0, describeRun(run));
  const report = hostReport(run);
  t.is(report.reboots, 0);
  for (const id of WITHOUT_BENCHMARK) {
    const s = stageOf(report, id);
    t.is(s.status, 'done', `${id}: ${s.reason ?? JSON.stringify(s.error)}`);
    t.false(s.changed, `${id} changed nothing`);
  }
  t.is(await bootId(lab), before, 'same boot');
});
