// The boot-entry readers on EL8/EL9 and UEFI files: a BLS grub.cfg (no menu entries of its own),
// one whose only menu entries are the firmware's, grubby --info output, and the choice of the
// default entry, which never falls on an entry that boots no Linux kernel.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { FatalError } from '../../../../core/errors.ts';
import { parseGrubCfg, type GrubMenuEntry } from '../../../../node/parse/grub-cfg.ts';
import { grubbyParams, parseGrubbyInfo } from '../../../../node/parse/grubby-info.ts';
import { nextBootEntry } from '../../../../node/boot/boot-entry.ts';
import { honoursNextEntry } from '../../../../node/boot/trial-entry.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('a BLS grub.cfg (captured, Rocky 8.10) has no menu entries: the stage is told it loads BLS entries', (t) => {
  const cfg = fixture('grub-rocky8-bls.cfg');
  t.deepEqual(parseGrubCfg(cfg), []);
  t.true(honoursNextEntry(cfg), 'its header boots a one-shot next_entry and clears it');
  const error = t.throws(() => nextBootEntry([], '/boot/grub2/grub.cfg', cfg, 'saved', {}), { instanceOf: FatalError });
  t.regex(error?.message ?? '', /has no Linux boot entries; it loads Boot Loader Specification entries \(blscfg\)/);
});

test('a UEFI BLS grub.cfg whose only menu entries are the firmware\'s: they boot no Linux kernel and are never the default', (t) => {
  const cfg = fixture('grub-el-bls-uefi.cfg');
  const entries = parseGrubCfg(cfg);
  t.deepEqual(entries.map((e) => [e.title, e.kernel]), [
    ['Windows Boot Manager (on /dev/sda1)', null],
    ['UEFI Firmware Settings', null],
  ]);
  // The old reader took the first of these as the default entry and would have copied it as the trial.
  const error = t.throws(() => nextBootEntry(entries, '/boot/grub2/grub.cfg', cfg, 'saved', { saved_entry: 'ae1d-5.14.0-427.el9.x86_64' }), { instanceOf: FatalError });
  t.is(error?.message, '/boot/grub2/grub.cfg has no Linux boot entries (only "Windows Boot Manager (on /dev/sda1)", "UEFI Firmware Settings", which boot no Linux kernel); it loads Boot Loader Specification entries (blscfg), but grubby is not there to manage them');
});

test('a GRUB menu with firmware entries next to Linux ones: a default naming a firmware entry is refused with the way out', (t) => {
  const linux: GrubMenuEntry = { title: 'Ubuntu', id: 'gnulinux-simple-x', index: 0, submenus: [], kernel: '/boot/vmlinuz-6.8.0-45-generic', params: 'root=/dev/vda1 ro console=tty1 console=ttyS0' };
  const firmware = parseGrubCfg(fixture('grub-el-bls-uefi.cfg')).map((e, i) => ({ ...e, index: i + 1 }));
  const entries = [linux, ...firmware];
  t.is(nextBootEntry(entries, 'grub.cfg', undefined, '0', {}).entry.title, 'Ubuntu');
  t.is(nextBootEntry(entries, 'grub.cfg', undefined, 'saved', { saved_entry: 'no-such-entry' }).entry.title, 'Ubuntu', 'an unknown default falls back to the first entry, as GRUB does');
  for (const ref of ['uefi-firmware', '2', 'Windows Boot Manager (on /dev/sda1)']) {
    const error = t.throws(() => nextBootEntry(entries, 'grub.cfg', undefined, ref, {}), { instanceOf: FatalError });
    t.regex(error?.message ?? '', /boots no Linux kernel$/, ref);
    t.regex(error?.hint ?? '', /point the default/);
  }
  const oneShot = t.throws(() => nextBootEntry(entries, 'grub.cfg', undefined, '0', { next_entry: 'uefi-firmware' }), { instanceOf: FatalError });
  t.regex(oneShot?.message ?? '', /"UEFI Firmware Settings" \(next_entry=uefi-firmware \(one-shot\) in grubenv\) boots no Linux kernel/);
});

test('grubby --info=ALL (captured on Rocky 9.1): entries with index, kernel, args, root and BLS id', (t) => {
  const entries = parseGrubbyInfo(fixture('grubby-info-all-rocky9.txt'));
  t.deepEqual(entries.map((e) => e.index), [0, 1, 2]);
  const [first] = entries;
  t.is(first?.id, 'a98618aa1631441dbb52c75a50834a0a-5.14.0-162.6.1.el9_1.x86_64');
  t.is(first?.kernel, '/boot/vmlinuz-5.14.0-162.6.1.el9_1.x86_64');
  t.is(first?.title, 'Rocky Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Blue Onyx)');
  t.is(grubbyParams(first!), 'root=/dev/mapper/rl_devmaster1-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M rd.lvm.lv=rl_devmaster1/root net.ifnames=0');
});

test('grubby --info=DEFAULT (captured on Fedora 35, rhboot/grubby#55): the default is not always index 0', (t) => {
  const [entry, ...rest] = parseGrubbyInfo(fixture('grubby-info-default-fedora35.txt'));
  t.deepEqual(rest, []);
  t.is(entry?.index, 1);
  t.is(entry?.root, 'UUID=ec0ebe42-73a3-441f-9910-dce10ec8253e');
  t.is(entry?.args, 'ro no_timer_check net.ifnames=0 console=tty1 console=ttyS0,115200n8');
});

test('BLS entries from grubby: saved_entry picks the default, next_entry the one-shot', (t) => {
  const entries = parseGrubbyInfo(fixture('grubby-info-all-rocky9.txt')).map((e) => ({ title: e.title, id: e.id, index: e.index, submenus: [], kernel: e.kernel, params: grubbyParams(e) }));
  const older = 'a98618aa1631441dbb52c75a50834a0a-5.14.0-70.30.1.el9_0.x86_64';
  t.is(nextBootEntry(entries, 'BLS', undefined, 'saved', { saved_entry: older }).entry.id, older);
  t.is(nextBootEntry(entries, 'BLS', undefined, 'saved', {}).entry.index, 0);
  t.regex(nextBootEntry(entries, 'BLS', undefined, 'saved', { saved_entry: older, next_entry: 'sriov-lxc-trial' }).chosenBy, /matches no entry, so the first one/);
});

test('which entry and why, as GRUB\'s 00_header picks it: a one-shot first, then GRUB_DEFAULT (saved: saved_entry), 0 when unset', (t) => {
  const entries = parseGrubbyInfo(fixture('grubby-info-all-rocky9.txt')).map((e) => ({ title: e.title, id: e.id, index: e.index, submenus: [], kernel: e.kernel, params: grubbyParams(e) }));
  const pick = (grubDefault: string | null | undefined, env: Record<string, string>): [number, string] => {
    const b = nextBootEntry(entries, 'BLS', undefined, grubDefault, env);
    return [b.entry.index, b.chosenBy];
  };
  t.deepEqual(pick(undefined, {}), [0, 'GRUB_DEFAULT=0']);
  t.deepEqual(pick(null, {}), [0, 'GRUB_DEFAULT=0']);
  t.deepEqual(pick('2', {}), [2, 'GRUB_DEFAULT=2']);
  t.deepEqual(pick('saved', {}), [0, 'GRUB_DEFAULT=saved, saved_entry=0']);
  t.deepEqual(pick('saved', { saved_entry: '1' }), [1, 'GRUB_DEFAULT=saved, saved_entry=1']);
  t.deepEqual(pick('1', { saved_entry: '2' }), [1, 'GRUB_DEFAULT=1'], 'saved_entry counts only with GRUB_DEFAULT=saved');
  t.deepEqual(pick('saved', { saved_entry: '1', next_entry: '2' }), [2, 'next_entry=2 (one-shot) in grubenv']);
  t.deepEqual(pick('0', { next_entry: '' }), [0, 'GRUB_DEFAULT=0'], 'an empty next_entry is none');
  t.deepEqual(pick('9', {}), [0, 'GRUB_DEFAULT=9 matches no entry, so the first one']);
});

test('no entries in a grub.cfg that loads no BLS entries: regenerate it; the BLS words only where blscfg is', (t) => {
  const plain = 'set default="0"\n### BEGIN /etc/grub.d/10_linux ###\n### END /etc/grub.d/10_linux ###\n';
  const error = t.throws(() => nextBootEntry([], '/boot/grub/grub.cfg', plain, '0', {}), { instanceOf: FatalError });
  t.is(error?.message, '/boot/grub/grub.cfg has no Linux boot entries');
  t.regex(error?.hint ?? '', /^regenerate it/);
  const bls = t.throws(() => nextBootEntry([], '/boot/grub2/grub.cfg', `${plain}  blscfg\n`, '0', {}), { instanceOf: FatalError });
  t.regex(bls?.hint ?? '', /^install grubby/);
  // A line that only mentions the word does not load BLS entries.
  const mention = t.throws(() => nextBootEntry([], '/boot/grub/grub.cfg', `${plain}# no blscfg here\ninsmod blscfgx\n`, '0', {}), { instanceOf: FatalError });
  t.is(mention?.message, '/boot/grub/grub.cfg has no Linux boot entries');
  t.throws(() => nextBootEntry([], 'BLS', undefined, '0', {}), { message: 'BLS has no Linux boot entries' });
});

test('grubby --info output that is not grubby\'s is refused', (t) => {
  t.throws(() => parseGrubbyInfo('kernel="/boot/vmlinuz"\n'), { message: /does not start with index=/ });
  t.throws(() => parseGrubbyInfo('Usage: grubby [OPTION...]\n'), { message: /unexpected line in grubby --info output/ });
});
