import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseGrubCfg, findGrubEntry, grubEntryRef, parseGrubEnv } from '../../../../node/parse/grub-cfg.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');
const uuid = '3d81a16b-9af7-4ba0-ae53-ef16fb54f864';

test('real Debian 12 update-grub output: top entry, submenu with four entries', (t) => {
  const entries = parseGrubCfg(fixture('grub-debian12.cfg'));
  t.deepEqual(entries.map((e) => [e.submenus.map((s) => s.title).join('/'), e.index, e.title]), [
    ['', 0, 'Debian GNU/Linux'],
    ['Advanced options for Debian GNU/Linux', 0, 'Debian GNU/Linux, with Linux 6.1.0-21-amd64'],
    ['Advanced options for Debian GNU/Linux', 1, 'Debian GNU/Linux, with Linux 6.1.0-21-amd64 (recovery mode)'],
    ['Advanced options for Debian GNU/Linux', 2, 'Debian GNU/Linux, with Linux 6.1.0-18-amd64'],
    ['Advanced options for Debian GNU/Linux', 3, 'Debian GNU/Linux, with Linux 6.1.0-18-amd64 (recovery mode)'],
  ]);
  const first = entries[0];
  t.is(first?.id, `gnulinux-simple-${uuid}`);
  t.is(first?.kernel, '/vmlinuz-6.1.0-21-amd64');
  t.is(first?.params, 'root=/dev/vda1 ro intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8 quiet');
  t.deepEqual(entries[1]?.submenus, [{ title: 'Advanced options for Debian GNU/Linux', id: `gnulinux-advanced-${uuid}`, index: 1 }]);
});

test('finds entries the way grub-reboot names them (title, id, index, submenu path)', (t) => {
  const entries = parseGrubCfg(fixture('grub-debian12.cfg'));
  const old = 'Debian GNU/Linux, with Linux 6.1.0-18-amd64';
  t.is(findGrubEntry(entries, `Advanced options for Debian GNU/Linux>${old}`)?.kernel, '/vmlinuz-6.1.0-18-amd64');
  t.is(findGrubEntry(entries, `gnulinux-advanced-${uuid}>gnulinux-6.1.0-18-amd64-advanced-${uuid}`)?.title, old);
  t.is(findGrubEntry(entries, '1>2')?.title, old);
  t.is(findGrubEntry(entries, '0')?.title, 'Debian GNU/Linux');
  t.is(findGrubEntry(entries, 'Debian GNU/Linux')?.index, 0);
  t.is(findGrubEntry(entries, old), undefined, 'an entry inside a submenu needs its submenu component');
  t.is(findGrubEntry(entries, '1'), undefined, 'a submenu is not an entry');
});

test('grubEntryRef round-trips through findGrubEntry', (t) => {
  const entries = parseGrubCfg(fixture('grub-debian12.cfg'));
  for (const e of entries) t.is(findGrubEntry(entries, grubEntryRef(e)), e);
  t.is(grubEntryRef(entries[3] as (typeof entries)[number]), `gnulinux-advanced-${uuid}>gnulinux-6.1.0-18-amd64-advanced-${uuid}`);
});

test('real update-grub output with GRUB_DISABLE_SUBMENU and custom entries (paper entry, quotes, --id)', (t) => {
  const entries = parseGrubCfg(fixture('grub-debian12-saved-custom.cfg'));
  t.is(entries.length, 4);
  t.true(entries.every((e) => e.submenus.length === 0));
  const paper = findGrubEntry(entries, 'CentOS Linux (3.10.0-123.9.3.el7.x86_64) 7 Intel setup');
  t.is(paper?.kernel, '/vmlinuz-3.10.0-123.8.1.el7.x86_64');
  t.true(paper?.params?.endsWith('intel_iommu=off default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8'));
  const trial = findGrubEntry(entries, 'sriov-lxc-trial');
  t.is(trial?.title, 'Operator\'s "trial" {boot}');
  t.is(trial?.params, 'root=/dev/vda1 ro quiet panic=10 intel_iommu=on iommu=pt');
  t.is(entries[1]?.params, 'root=/dev/vda1 ro single', 'recovery entry: trailing space trimmed');
});

test('CentOS 7 grub2-mkconfig layout: linux16, no submenu, compatibility lines ignored', (t) => {
  const entries = parseGrubCfg(fixture('grub-centos7.cfg'));
  t.deepEqual(entries.map((e) => e.title), [
    'CentOS Linux (3.10.0-123.13.2.el7.x86_64) 7 (Core)',
    'CentOS Linux (0-rescue-1b0e0c5bd0f04d8e9ba45b9e6b5bd3c5) 7 (Core)',
  ]);
  t.is(entries[0]?.kernel, '/vmlinuz-3.10.0-123.13.2.el7.x86_64');
  t.true(entries[0]?.params?.startsWith('root=/dev/mapper/centos-root ro crashkernel=auto'));
});

test('unbalanced braces are reported with a hint', (t) => {
  // The paper's 40_custom entry as printed: its closing "fi" and "}" are missing.
  const broken = "menuentry 'x' {\n  if [ a ]; then\n  linux16 /vmlinuz ro\n";
  t.throws(() => parseGrubCfg(broken), { message: /ends inside a menu entry/ });
  t.throws(() => parseGrubCfg('}\n'), { message: /closes nothing/ });
});

test('grub-editenv list output and the grubenv file itself', (t) => {
  const list = parseGrubEnv(fixture('grub-editenv-list.txt'));
  t.deepEqual(list, {
    saved_entry: `gnulinux-advanced-${uuid}>gnulinux-6.1.0-18-amd64-advanced-${uuid}`,
    next_entry: 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-18-amd64',
  });
  t.deepEqual(parseGrubEnv(fixture('grubenv.txt')), list);
  t.deepEqual(parseGrubEnv(fixture('grub-editenv-list-saved.txt')), {
    saved_entry: 'Debian GNU/Linux, with Linux 6.1.0-21-amd64',
    next_entry: 'sriov-lxc-trial',
  });
  t.deepEqual(parseGrubEnv(''), {});
  t.throws(() => parseGrubEnv('garbage\n'), { message: /unexpected line/ });
});
