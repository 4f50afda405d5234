// The lab state file (DIR/lab.json): everything a lab creates is recorded here BEFORE it is
// created, so `down` can remove it even after a crashed `up`. Written atomically.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Firmware, Flavour } from './layout.ts';
import { labPaths } from './layout.ts';
import type { ProcessRecord } from './processes.ts';

export interface LabState {
  version: 1;
  dir: string;
  slot: number;
  flavour: Flavour;
  /** Absent in labs created before UEFI nodes existed: bios. */
  firmware?: Firmware;
  /** The NIC model of every node (lab/node/nics.conf); absent in labs from before NIC models: 82599. */
  nic?: string;
  nodeCount: number;
  /** Delay between a node's power-off and its next boot (the "POST"). */
  bootDelayMs: number;
  /** Whether `up` created the directory itself (then `down` removes it). */
  createdDir: boolean;
  created: {
    slotFile?: string;
    netns: string[];
    rootLinks: string[];
    cgroups: string[];
    /** Paths inside the lab directory. */
    paths: string[];
  };
  supervisor?: ProcessRecord;
  peerIperf?: ProcessRecord;
}

export function readState(dir: string): LabState | undefined {
  const path = labPaths(dir).state;
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as LabState;
  if (state.version !== 1) throw new Error(`${path}: unknown lab state version ${String(state.version)}; remove the lab by hand`);
  return state;
}

export function writeState(state: LabState): void {
  const path = labPaths(state.dir).state;
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Records something about to be created (write-ahead), then returns it. */
export function remember<T extends string>(state: LabState, list: keyof LabState['created'], item: T): T {
  const current = state.created[list];
  if (Array.isArray(current)) {
    if (!current.includes(item)) current.push(item);
  } else {
    state.created.slotFile = item;
  }
  writeState(state);
  return item;
}
