// The nodes' own files (DIR/nodes: their disks' upper dirs, power state, this boot's files) live in
// a tmpfs the lab mounts when it comes up and unmounts when it goes down. A node stands in for a
// machine with a disk of its own; on this machine they all share one ext4, and these machines'
// ext4 has no journal, so every new inode is found by stepping over the inodes deleted in the last
// minutes (the kernel's recently_deleted(), checked only without a journal): with labs made and
// removed all day, `perf` showed 7-9 % of the machine's CPU in it while 8 nodes provision.
// Only /srv stays on this machine's disk (NodeLayout.blockDir): the benchmark's fio runs there.
// Nothing a node's commands answer changes: its mounts are the same overlays, and no command the
// tool runs on a node looks at the file system under them.
import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { mountsAt, parseProcMounts } from '../node/parse/findmnt.ts';
import type { LabState } from './state.ts';
import { remember } from './state.ts';

const run = promisify(execFile);

/** Whether something is mounted on `path` in this process's mount namespace. */
export function isMountPoint(path: string): boolean {
  return mountsAt(parseProcMounts(readFileSync('/proc/self/mounts', 'utf8')), path).length > 0;
}

/**
 * Mounts a tmpfs on `path` (inside the lab's private directory), recorded in the lab state before
 * it is mounted so that `down` unmounts it even after a crashed `up`.
 */
export async function mountNodesTmpfs(state: LabState, path: string): Promise<void> {
  mkdirSync(path, { recursive: true, mode: 0o755 });
  const st = lstatSync(path);
  if (!st.isDirectory() || st.uid !== process.getuid?.()) throw new Error(`not mounting the nodes' tmpfs on ${path}: not a directory of this user's`);
  if (isMountPoint(path)) throw new Error(`not mounting the nodes' tmpfs on ${path}: something is mounted there already`);
  remember(state, 'mounts', path);
  // A quarter of the memory at most: a lab node's files take about 6 MB after provisioning.
  await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=25%', 'sriov-lab-nodes', path]);
}

/**
 * Unmounts what the lab mounted, when still mounted (not after this machine restarted). Lazily: a
 * node's last process may still be exiting from the SIGKILL `down` sent; its memory goes with it.
 */
export async function unmountLabMounts(state: LabState): Promise<void> {
  for (const path of state.created.mounts ?? []) {
    if (isMountPoint(path)) await run('umount', ['--lazy', path]);
  }
}
