// Which boot method a node gets (node/boot/boot-method.ts), from what its probe prints and whether
// its grub.cfg runs `blscfg`: the real grub.cfg of an EL8 node and of a Fedora node (both load BLS
// entries), Debian 9's update-grub output (none), and each sign missing in turn.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { FatalError } from '../../../../core/errors.ts';
import { DETECT_BOOT_METHOD, bootMethodOf, detectBootMethod } from '../../../../node/boot/boot-method.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';

const EL8 = fixture('real/grub-cfg/grub-cfg-el8-blscfg-issabel.cfg');
const FEDORA = fixture('real/grub-cfg/grub-cfg-fedora-blscfg-efi-windows.cfg');
const DEBIAN = fixture('real/grub-cfg/grub-cfg-debian-9-update-grub-submenu.cfg');

const probed = (stdout: string): FakeHost => new FakeHost('node1').on([...DETECT_BOOT_METHOD], { stdout });
const methodOf = async (stdout: string, cfg: string | undefined): Promise<string> => (await detectBootMethod(probed(stdout), cfg)).name;

test('a grub.cfg that runs blscfg, BLS entries and grubby: EL8\'s method when an entry reads $kernelopts, else the bls method', async (t) => {
  t.is(await methodOf('entries\ngrubby\ngrub.d\nkernelopts\n', EL8), 'bls-kernelopts');
  t.is(await methodOf('entries\ngrubby\nkernelopts\n', FEDORA), 'bls-kernelopts');
  t.is(await methodOf('entries\ngrubby\n', FEDORA), 'bls');
  t.is(await methodOf('entries grubby', EL8), 'bls', 'words split on any blank');
});

test('blscfg is a line of its own: indented it counts; `insmod blscfg` or a comment alone does not', async (t) => {
  t.is(await methodOf('entries\ngrubby\n', 'insmod part_gpt\n  blscfg  \n'), 'bls');
  t.is(await methodOf('entries\ngrubby\n', 'insmod blscfg\n# blscfg\nblscfg_old\n'), 'grub-defaults');
  // GRUB 2 with BLS entries and grubby around but a grub.cfg of menuentries (CentOS 7's grubby, or BLS switched off): GRUB_CMDLINE_LINUX.
  t.is(await methodOf('entries\ngrubby\n', DEBIAN), 'grub-defaults');
  t.is(await methodOf('entries\ngrubby\n', undefined), 'grub-defaults');
  // EL8 with GRUB_ENABLE_BLSCFG=false: its entries still read $kernelopts, but grub.cfg has the menuentries.
  t.is(await methodOf('entries\ngrubby\nkernelopts\n', DEBIAN), 'grub-defaults');
});

test('without blscfg: the drop-in method needs both the directory and a grub-mkconfig that reads it', async (t) => {
  t.is(await methodOf('grub.d\nreads-grub.d\n', DEBIAN), 'grub-dropin');
  t.is(await methodOf('grubby\ngrub.d\nreads-grub.d\n', undefined), 'grub-dropin');
  t.is(await methodOf('grub.d\n', DEBIAN), 'grub-defaults', 'upstream/RHEL grub-mkconfig: the directory is not read');
  t.is(await methodOf('reads-grub.d\n', DEBIAN), 'grub-defaults', 'no directory to put ours in');
  t.is(await methodOf('', DEBIAN), 'grub-defaults');
  // With blscfg the drop-in never applies: grub.cfg does not carry the linux lines.
  await t.throwsAsync(detectBootMethod(probed('grub.d\nreads-grub.d\n'), EL8), { instanceOf: FatalError });
});

test('blscfg without what manages its entries: refused, naming what is missing and how to get it', async (t) => {
  const noGrubby = await t.throwsAsync(detectBootMethod(probed('entries\n'), EL8), { instanceOf: FatalError });
  t.is(noGrubby?.message, 'node1: its grub.cfg loads Boot Loader Specification entries (blscfg), but grubby is not installed');
  t.regex(noGrubby?.hint ?? '', /dnf install grubby/);
  const noEntries = await t.throwsAsync(detectBootMethod(probed('grubby\n'), EL8), { instanceOf: FatalError });
  t.is(noEntries?.message, 'node1: its grub.cfg loads Boot Loader Specification entries (blscfg), but /boot/loader/entries does not exist');
  // kernelopts alone (entries read $kernelopts, no grubby) is no method either.
  await t.throwsAsync(detectBootMethod(probed('entries\nkernelopts\n'), EL8), { message: /grubby is not installed/ });
});

test('one detection per Host: the probe runs once, the answer is remembered; another Host is probed anew', async (t) => {
  const host = probed('grub.d\nreads-grub.d\n');
  t.is((await bootMethodOf(host, DEBIAN)).name, 'grub-dropin');
  t.is((await bootMethodOf(host, EL8)).name, 'grub-dropin');
  t.is(host.commands.length, 1);
  const other = probed('entries\ngrubby\n');
  t.is((await bootMethodOf(other, EL8)).name, 'bls');
  t.is(other.commands.length, 1);
});

// The probe's words come from a real sh: a PATH of stand-ins for grubby and the two grub-mkconfigs,
// Debian's with the line its grub.d patch adds (grub-common 2.06-13+deb12u2, /usr/sbin/grub-mkconfig
// line 163), upstream's and RHEL's without it. /boot/loader/entries and /etc/default/grub.d are
// this machine's, so only the words the stand-ins decide are asserted, and that no other word appears.
test('the probe run by sh: grubby and a grub-mkconfig that reads grub.d are named, one that does not is not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'boot-method-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const probe = (tools: Record<string, string>): string[] => {
    const bin = mkdtempSync(join(dir, 'bin-'));
    for (const [name, text] of Object.entries(tools)) writeFileSync(join(bin, name), text, { mode: 0o755 });
    const [sh, ...args] = DETECT_BOOT_METHOD;
    return execFileSync(sh!, args, { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  };
  const words = ['entries', 'grubby', 'grub.d', 'reads-grub.d', 'kernelopts'];
  const debian = probe({ grubby: '#!/bin/sh\n', 'grub-mkconfig': '#!/bin/sh\nfor x in ${sysconfdir}/default/grub.d/*.cfg ; do\n' });
  t.true(debian.includes('grubby') && debian.includes('reads-grub.d'), debian.join(' '));
  t.true(debian.every((w) => words.includes(w)), debian.join(' '));
  const upstream = probe({ 'grub-mkconfig': '#!/bin/sh\n. "${sysconfdir}/default/grub"\n' });
  t.false(upstream.includes('grubby') || upstream.includes('reads-grub.d'), upstream.join(' '));
  t.true(probe({ 'grub-mkconfig': '#!/bin/sh\n', 'grub2-mkconfig': '#!/bin/sh\nfor x in /etc/default/grub.d/*.cfg ; do\n' }).includes('reads-grub.d'), 'the second name tried too');
});
