// The lab's tmpfs for its nodes' files: `down` unmounts what the lab mounted while it is mounted,
// and only then (the mount table is read with node/parse/findmnt.ts, tested on its own).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMountPoint, unmountLabMounts } from '../../../lab/nodes-tmpfs.ts';
import type { LabState } from '../../../lab/state.ts';

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
    if (isMountPoint(mounted)) execFileSync('umount', [mounted]);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(mounted, 'file'), 'in memory\n');
  t.true(isMountPoint(mounted));

  await unmountLabMounts(stateNaming(dir, undefined));
  t.true(isMountPoint(mounted), 'a state without mounts unmounts nothing');
  await unmountLabMounts(stateNaming(dir, [gone, mounted]));
  t.false(isMountPoint(mounted));
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(dir));
});
