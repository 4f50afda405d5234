// One slot per running lab on this machine (1..250): it names the lab's namespaces and its subnet.
// The registry is a directory of files `slot-N` holding the lab directory that owns N; creating
// the file exclusively is the lock.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SLOT } from './layout.ts';
import { readState } from './state.ts';

export const SLOT_REGISTRY = '/run/sriov-lxc-lab';

function slotFile(slot: number): string {
  return join(SLOT_REGISTRY, `slot-${slot}`);
}

/** A slot whose owner no longer has a lab state naming it is free again. */
function isStale(slot: number): boolean {
  try {
    const dir = readFileSync(slotFile(slot), 'utf8').trim();
    // a slot just taken belongs to an `up` that has not written its state yet
    if (Date.now() - statSync(slotFile(slot)).mtimeMs < 60_000) return false;
    return readState(dir)?.slot !== slot;
  } catch {
    return false;
  }
}

/**
 * Takes the first free slot whose subnet (10.213.N.0/24) no route of this machine uses.
 * `subnetInUse(n)` tells whether 10.213.n.0/24 overlaps a route.
 */
export function allocateSlot(dir: string, subnetInUse: (slot: number) => boolean): { slot: number; file: string } {
  mkdirSync(SLOT_REGISTRY, { recursive: true });
  for (let slot = 1; slot <= MAX_SLOT; slot++) {
    if (subnetInUse(slot)) continue;
    const file = slotFile(slot);
    if (existsSync(file) && isStale(slot)) rmSync(file, { force: true });
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch {
      continue;
    }
    writeSync(fd, `${dir}\n`);
    closeSync(fd);
    return { slot, file };
  }
  throw new Error(`no free lab slot: ${MAX_SLOT} labs run on this machine, or 10.213.0.0/16 is routed; stop a lab with \`lab.ts down --dir DIR\``);
}

export function releaseSlot(file: string): void {
  rmSync(file, { force: true });
  try {
    if (readdirSync(SLOT_REGISTRY).length === 0) rmdirSync(SLOT_REGISTRY);
  } catch {
    // another lab is using the registry
  }
}
