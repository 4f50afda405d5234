// Host code reaching a node's files (the supervisor writes grubenv where the node's EFI stub
// points): a `..` stays on the node's disk, as it does inside the node; a link out of the disk is
// not followed, and a write never goes through a link.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { efiStubConfigDir } from '../../../lab/grub.ts';
import { onNodeDisk, writeNodeFile } from '../../../lab/node-path.ts';

function disk(t: { teardown(fn: () => void): void }): { root: string; disk: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), 'sriov-lxc-node-path-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const d = join(root, 'disk');
  mkdirSync(join(d, 'boot', 'grub2'), { recursive: true });
  const outside = join(root, 'host-etc');
  mkdirSync(outside);
  writeFileSync(join(outside, 'grubenv'), 'the host\n');
  return { root, disk: d, outside };
}

test('a path of the node stays on its disk: links inside it are followed, `..` stops at its root', (t) => {
  const { disk: d } = disk(t);
  symlinkSync('grub2', join(d, 'boot', 'grub'));
  t.is(onNodeDisk(d, 'boot/grub/grubenv'), join(d, 'boot/grub/grubenv'));
  t.is(onNodeDisk(d, 'boot/../../../../etc/grubenv'), join(d, 'etc/grubenv'));
  // An EFI stub whose configfile climbs out: where the supervisor would write grubenv.
  const dir = efiStubConfigDir("set prefix=($root)'/boot/../../../../../etc'\nconfigfile $prefix/grub.cfg\n");
  t.truthy(dir);
  t.true(onNodeDisk(d, join(dir!, 'grubenv'))!.startsWith(`${d}/`));
});

test('a link the node made out of its disk is not followed, and a write never goes through a link', (t) => {
  const { disk: d, outside } = disk(t);
  symlinkSync(outside, join(d, 'boot', 'efi-out'));
  symlinkSync('../../..', join(d, 'boot', 'up'));
  symlinkSync(join(outside, 'grubenv'), join(d, 'boot', 'grub2', 'grubenv'));
  t.is(onNodeDisk(d, 'boot/efi-out/grubenv'), undefined);
  t.is(onNodeDisk(d, 'boot/up/host-etc/grubenv'), undefined);
  t.is(onNodeDisk(d, 'boot/grub2/grubenv'), undefined);
  t.throws(() => writeNodeFile(join(d, 'boot', 'grub2', 'grubenv'), 'x'), { code: 'ELOOP' });
  t.is(readFileSync(join(outside, 'grubenv'), 'utf8'), 'the host\n');
});
