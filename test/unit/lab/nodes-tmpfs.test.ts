// The lab's tmpfs for its nodes' files: the mount table is read as the kernel writes it, and
// `down` unmounts what the lab mounted while it is mounted, and only then.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountPoints, unmountLabMounts } from '../../../lab/nodes-tmpfs.ts';
import type { LabState } from '../../../lab/state.ts';

// proc(5)'s /proc/PID/mountinfo example line, and a mount point with a space and a tab (the kernel
// writes them as \040 and \011, fs/proc_namespace.c mangle()).
const MOUNTINFO = [
  '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
  '47 27 0:41 / /tmp/a\\040lab\\011dir/nodes rw,relatime - tmpfs sriov-lab-nodes rw,size=6170944k,mode=755',
  '',
].join('\n');

test('mountPoints: the fifth field of each line, octal escapes undone', (t) => {
  t.deepEqual([...mountPoints(MOUNTINFO)], ['/mnt2', '/tmp/a lab\tdir/nodes']);
});

const stateNaming = (dir: string, mounts: string[] | undefined): LabState => ({
  version: 1,
  dir,
  slot: 0,
  flavour: 'debian12',
  nodeCount: 1,
  bootDelayMs: 2000,
  createdDir: false,
  created: { netns: [], rootLinks: [], cgroups: [], paths: [], ...(mounts ? { mounts } : {}) },
});

test('unmountLabMounts: unmounts the tmpfs the state names; one no longer mounted (the machine restarted) or none recorded (an older lab) is left alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-nodes-tmpfs-'));
  const mounted = join(dir, 'nodes');
  const gone = join(dir, 'gone');
  mkdirSync(mounted);
  mkdirSync(gone);
  execFileSync('mount', ['-t', 'tmpfs', 'sriov-lab-test', mounted]);
  t.teardown(() => {
    if (mountPoints().has(mounted)) execFileSync('umount', [mounted]);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(mounted, 'file'), 'in memory\n');
  t.true(mountPoints().has(mounted));

  await unmountLabMounts(stateNaming(dir, undefined));
  t.true(mountPoints().has(mounted), 'a state without mounts unmounts nothing');
  await unmountLabMounts(stateNaming(dir, [gone, mounted]));
  t.false(mountPoints().has(mounted));
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(dir));
});
