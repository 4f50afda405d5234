// `lab down`: stops everything a lab started (by recorded pid), removes its namespaces, links,
// cgroups, slot and files. Works after a crashed `up` too: it removes whatever the state records.
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { labPaths, nodeLayout, labLayout, nodePaths } from './layout.ts';
import { labDir } from './info.ts';
import { removeCgroupTree } from './cgroups.ts';
import { destroyNetwork } from './network.ts';
import { readPower } from './power.ts';
import { signalRecord, stopRecord } from './processes.ts';
import { releaseSlot } from './slots.ts';
import { readState } from './state.ts';
import { unmountLabMounts } from './nodes-tmpfs.ts';

export async function labDown(dirOption?: string): Promise<void> {
  const dir = labDir(dirOption);
  const state = readState(dir);
  if (!state) return;
  if (state.supervisor) await stopRecord(state.supervisor, 5000);
  if (state.slot > 0) {
    const lab = labLayout(state.slot);
    for (let i = 1; i <= state.nodeCount; i++) {
      const power = readPower(nodePaths(nodeLayout(lab, i, dir).dir).power);
      // The supervisor is gone; a node it left running dies with its namespace holder.
      if (power?.holder) signalRecord(power.holder, 'SIGKILL');
      if (power?.init) signalRecord(power.init, 'SIGKILL');
    }
  }
  if (state.peerIperf) await stopRecord(state.peerIperf, 2000);
  await destroyNetwork(state);
  for (const cg of state.created.cgroups) await removeCgroupTree(cg);
  if (state.created.slotFile) releaseSlot(state.created.slotFile);
  await unmountLabMounts(state);
  for (const p of state.created.paths) rmSync(p, { recursive: true, force: true });
  rmSync(labPaths(dir).state, { force: true });
  if (state.createdDir && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}
