// For the NIC model tests: a lab inventory with per-VF settings or another VF count written beside
// the lab's own (the tool reads it like any inventory), and the node's VF settings as
// `ip -j link show` reports them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { parse, stringify } from 'yaml';
import { loadInventory } from '../../inventory/load.ts';
import { NODE, planForLab, vfTable, type Lab } from './lab-fixture.ts';

/** VF 0 of enp4s0f0 (container c1's) gets every setting; the others spoof checking off. */
export const VF_SETTINGS = { all: { spoofchk: false }, 0: { vlan: 10, qos: 2, trust: true, maxTxRate: 1000, linkState: 'enable', spoofchk: true } };

/** Writes DIR/NAME.yaml: the lab's inventory with `edit` applied to node1's PFs; returns the Lab for it. */
export function editedLab(lab: Lab, name: string, edit: (pf: Record<string, unknown>) => void): Lab {
  const doc = parse(readFileSync(lab.info.inventoryPath, 'utf8')) as { hosts: Record<string, { pfs: Record<string, unknown>[] }> };
  for (const pf of doc.hosts[NODE]?.pfs ?? []) edit(pf);
  const path = join(lab.dir, `${name}.yaml`);
  writeFileSync(path, stringify(doc));
  const plan = planForLab(loadInventory(path).hosts.find((h) => h.name === NODE)!, lab.info);
  return { ...lab, plan, info: { ...lab.info, inventoryPath: path } };
}

/** The planned VF settings of enp4s0f0 are what its PF reports. */
export async function assertVfSettings(t: ExecutionContext, lab: Lab): Promise<void> {
  const table = await vfTable(lab, 'enp4s0f0');
  t.like(table[0], { vf: 0, vlan: 10, qos: 2, maxTxRate: 1000, spoofchk: true, trust: true, linkState: 'enable' }, 'VF 0 has every planned setting');
  t.true(table.slice(1).every((v) => v.spoofchk === false), `the other VFs have spoof checking off: ${JSON.stringify(table.slice(1))}`);
}
