// lab.json is trusted like the state directory: root's `lab down` deletes, signals and unmounts
// what it names, so a lab.json another user planted (or could write), or one naming things outside
// its lab, is refused and nothing is removed.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../../../lab/index.ts';
import { readState } from '../../../lab/state.ts';
import { isMountPoint } from '../../../lab/nodes-tmpfs.ts';

const NOBODY = 65534;

function setup(t: { teardown(fn: () => void): void }): { root: string; victim: string; lab: string } {
  const root = mkdtempSync(join(tmpdir(), 'sriov-lxc-lab-trust-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const victim = join(root, 'precious');
  mkdirSync(victim, { mode: 0o700 });
  writeFileSync(join(victim, 'data'), 'keep me\n');
  const lab = join(root, 'lab');
  mkdirSync(lab, { mode: 0o700 });
  return { root, victim, lab };
}

const state = (dir: string, paths: string[]) => ({
  version: 1,
  dir,
  slot: 0,
  flavour: 'centos7',
  nodeCount: 1,
  bootDelayMs: 2000,
  createdDir: false,
  created: { netns: [], rootLinks: [], cgroups: [], paths },
});

test('a lab.json naming a directory outside its lab: lab down refuses and removes nothing', async (t) => {
  const { victim, lab } = setup(t);
  writeFileSync(join(lab, 'lab.json'), JSON.stringify(state(lab, [victim, join(lab, 'nodes')])), { mode: 0o600 });
  const error = await t.throwsAsync(labDown(lab));
  t.regex(error.message, /refusing the lab state .*lab\.json: it names what is not this lab's: path .*precious is outside the lab directory; .*nothing was changed/);
  t.true(existsSync(join(victim, 'data')));
  t.true(existsSync(join(lab, 'lab.json')));
});

test('a lab.json planted in a directory another user owns or can write, or as a link, is refused', async (t) => {
  const { root, victim, lab } = setup(t);
  writeFileSync(join(lab, 'lab.json'), JSON.stringify(state(lab, [join(lab, 'x')])), { mode: 0o600 });
  t.truthy(readState(lab), 'a lab of our own is read');

  chownSync(lab, NOBODY, NOBODY);
  t.throws(() => readState(lab), { message: /the lab directory .*lab: it is owned by uid 65534, not by uid 0/ });
  chownSync(lab, 0, 0);
  chmodSync(lab, 0o777);
  t.throws(() => readState(lab), { message: /its mode is 0777: writable by its group and everyone/ });
  chmodSync(lab, 0o700);

  chownSync(join(lab, 'lab.json'), NOBODY, NOBODY);
  await t.throwsAsync(labDown(lab), { message: /lab\.json is owned by uid 65534/ });
  rmSync(join(lab, 'lab.json'));

  const planted = join(root, 'planted.json');
  writeFileSync(planted, JSON.stringify(state(lab, [join(lab, 'x')])), { mode: 0o600 });
  symlinkSync(planted, join(lab, 'lab.json'));
  await t.throwsAsync(labDown(lab), { message: /lab\.json is a symbolic link/ });

  const linkedLab = join(root, 'linked-lab');
  symlinkSync(lab, linkedLab);
  t.throws(() => readState(linkedLab), { message: /it is a symbolic link/ });
  t.true(existsSync(join(victim, 'data')));
});

test('a lab.json naming a mount point outside its lab: lab down refuses and unmounts nothing', async (t) => {
  const { victim, lab } = setup(t);
  execFileSync('mount', ['-t', 'tmpfs', 'sriov-lab-trust', victim]);
  t.teardown(() => execFileSync('umount', [victim]));
  writeFileSync(join(lab, 'lab.json'), JSON.stringify({ ...state(lab, []), created: { ...state(lab, []).created, mounts: [victim] } }), { mode: 0o600 });
  const error = await t.throwsAsync(labDown(lab));
  t.regex(error.message, /refusing the lab state .*lab\.json: it names what is not this lab's: mount point .*precious is outside the lab directory; .*nothing was changed/);
  t.true(isMountPoint(victim));
});
