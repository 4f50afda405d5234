// Cgroups of a lab: one subtree per lab under the cgroup this process runs in (in every hierarchy),
// one per node below it. A node boots into its own cgroup and a cgroup namespace rooted there, so
// LXC's cgroups of its containers land inside it and go away with the lab.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The mount directory of each hierarchy line of /proc/self/cgroup, joined with its path. */
export function ownCgroups(procSelfCgroup: string): string[] {
  return procSelfCgroup
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, controllers = '', path = '/'] = line.split(':');
      const mount = controllers === '' ? 'unified' : controllers.replace(/^name=/, '');
      return join(CGROUP_ROOT, mount, path);
    })
    .filter((dir) => existsSync(dir));
}

export function labCgroupRoots(slot: number): string[] {
  return ownCgroups(readFileSync('/proc/self/cgroup', 'utf8')).map((dir) => join(dir, `sriov-lab-${slot}`));
}

/** Creates a cgroup (and its parents); cpuset children need cpus and mems before taking tasks. */
export function ensureCgroup(dir: string): void {
  if (existsSync(dir)) return;
  const parent = join(dir, '..');
  ensureCgroup(parent);
  mkdirSync(dir);
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const own = join(dir, file);
    if (existsSync(own) && readFileSync(own, 'utf8').trim() === '') {
      writeFileSync(own, readFileSync(join(parent, file), 'utf8'));
    }
  }
}

/** Removes a cgroup subtree, deepest first; cgroups of processes still exiting are retried. */
export async function removeCgroupTree(dir: string, tries = 50): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const child = join(dir, entry);
    if (statSync(child).isDirectory()) await removeCgroupTree(child, tries);
  }
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      if (i >= tries || (error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Removes what LXC left in a node's cgroup after the node died, keeping the node's own. */
export async function clearCgroupChildren(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const child = join(dir, entry);
    if (statSync(child).isDirectory()) await removeCgroupTree(child);
  }
}
