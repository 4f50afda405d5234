// The boot readers on files captured on real machines by others (test/fixtures/real/SOURCES.md):
// kernel command lines, /etc/default/grub and its drop-ins, generated grub.cfg, grubby, grubenv,
// BLS entries. Expected values are read off the files.
import test from 'ava';
import { fixture } from '../../../helpers/fake-host.ts';
import { labNodePlan } from '../../../helpers/plans.ts';
import { cmdlineSatisfies, parseCmdline } from '../../../../node/parse/cmdline.ts';
import { grubVar, parseShellAssignments } from '../../../../node/parse/grub-default.ts';
import { findGrubEntry, parseGrubCfg, parseGrubEnv } from '../../../../node/parse/grub-cfg.ts';
import { parseGrubbyInfo, grubbyParams } from '../../../../node/parse/grubby-info.ts';
import { editGrubDefaults, effectiveCmdline } from '../../../../node/boot/grub-defaults.ts';
import { nextBootEntry } from '../../../../node/boot/boot-entry.ts';
import { honoursNextEntry, renderBlsTrial } from '../../../../node/boot/trial-entry.ts';

const real = (path: string): string => fixture(`real/${path}`);
const pairs = (text: string) => parseCmdline(text).map((p) => (p.value === null ? p.key : `${p.key}=${p.value}`));

test('real /proc/cmdline: Proxmox 8, Ubuntu 24.04, Ubuntu 20.04 (CSIT)', (t) => {
  t.deepEqual(pairs(real('cmdline/cmdline-proxmox-8-intel-iommu.txt')), [
    'BOOT_IMAGE=/boot/vmlinuz-6.5.11-8-pve', 'root=/dev/mapper/pve-root', 'ro', 'quiet', 'intel_iommu=on', 'iommu=pt', 'intel_pstate=enable',
  ]);
  t.true(cmdlineSatisfies(real('cmdline/cmdline-proxmox-8-intel-iommu.txt'), ['intel_iommu=on', 'iommu=pt']).ok);
  t.deepEqual(cmdlineSatisfies(real('cmdline/cmdline-ubuntu-24.04-generic.txt'), ['intel_iommu=on', 'iommu=pt']).missing, ['intel_iommu=on', 'iommu=pt']);
  t.deepEqual(pairs(real('cmdline/cmdline-ubuntu-24.04-generic.txt')), [
    'BOOT_IMAGE=/boot/vmlinuz-6.8.0-49-generic', 'root=UUID=9ff8c203-950b-4f46-8c41-6e994151ecd3', 'ro', 'quiet', 'splash',
  ]);
  const csit = parseCmdline(real('cmdline/cmdline-ubuntu-20.04-csit-intel-iommu.txt'));
  t.is(csit.length, 13);
  t.deepEqual(csit.find((p) => p.key === 'isolcpus'), { key: 'isolcpus', value: '1-27,29-55' });
  t.deepEqual(csit.find((p) => p.key === 'console'), { key: 'console', value: 'ttyAMA0,115200n8' });
  const check = cmdlineSatisfies(csit, ['intel_iommu=on', 'iommu=pt']);
  t.deepEqual([check.ok, check.missing], [false, ['iommu=pt']]);
});

test('real /etc/kernel/cmdline (Proxmox, ZFS root): the params without BOOT_IMAGE', (t) => {
  t.deepEqual(pairs(real('kernel-cmdline/etc-kernel-cmdline-pve-zfs-quiet-iommu.txt')), ['root=ZFS=rpool/ROOT/pve-1', 'boot=zfs', 'quiet', 'intel_iommu=on', 'iommu=pt']);
});

test('real /etc/default/grub: CentOS 7, RHEL 7.1, CentOS Stream 9, Ubuntu 22.04 (OVH)', (t) => {
  const centos7 = real('grub-default/default-grub-centos-7-iommu-vfio.txt');
  t.is(grubVar(centos7, 'GRUB_CMDLINE_LINUX'), 'crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1 iommu=pt vfio-pci.ids=10de:1cb1,10de:0fb9');
  t.is(grubVar(centos7, 'GRUB_DEFAULT'), 'saved');
  t.is(grubVar(centos7, 'GRUB_DISTRIBUTOR'), null, 'a command substitution is no literal value');
  t.is(grubVar(centos7, 'GRUB_CMDLINE_LINUX_DEFAULT'), undefined);

  const rhel71 = real('grub-default/default-grub-rhel-7.1-ixgbe-max-vfs.txt');
  t.true(cmdlineSatisfies(effectiveCmdline(rhel71), ['intel_iommu=on', 'ixgbe.max_vfs=16']).ok);
  t.is(grubVar(rhel71, 'GRUB_PRELOAD_MODULES'), 'lvm');

  const stream9 = real('grub-default/default-grub-centos-stream-9-blscfg.txt');
  t.is(grubVar(stream9, 'GRUB_ENABLE_BLSCFG'), 'true');
  t.is(effectiveCmdline(stream9), 'crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/cs-swap rd.lvm.lv=cs/root rd.lvm.lv=cs/swap rhgb quiet');

  const ovh = real('grub-default/default-grub-ubuntu-22.04-ovh.txt');
  t.is(grubVar(ovh, 'GRUB_CMDLINE_LINUX_DEFAULT'), '');
  t.is(grubVar(ovh, 'GRUB_CMDLINE_LINUX'), 'nomodeset iommu=pt console=tty0 console=ttyS1,115200n8');
  t.is(grubVar(ovh, 'GRUB_DISTRIBUTOR'), null, 'backquotes: no literal value');
  t.is(grubVar(ovh, 'GRUB_BADRAM'), undefined, 'commented out');
  t.deepEqual(parseShellAssignments(ovh).map((a) => a.name), [
    'GRUB_DEFAULT', 'GRUB_TIMEOUT_STYLE', 'GRUB_TIMEOUT', 'GRUB_DISTRIBUTOR', 'GRUB_CMDLINE_LINUX_DEFAULT', 'GRUB_CMDLINE_LINUX', 'GRUB_TERMINAL', 'GRUB_SERIAL_COMMAND',
  ]);
});

test('editing real /etc/default/grub files: the plan\'s params added, every other line as it was', (t) => {
  const plan = labNodePlan();
  for (const name of ['default-grub-centos-7-iommu-vfio.txt', 'default-grub-ubuntu-22.04-ovh.txt', 'default-grub-rhel-7.1-ixgbe-max-vfs.txt']) {
    const before = real(`grub-default/${name}`);
    const after = editGrubDefaults(before, plan).text;
    t.true(cmdlineSatisfies(effectiveCmdline(after), plan.kernelParams).ok, name);
    const changed = (text: string) => text.split('\n').filter((l) => !l.startsWith('GRUB_CMDLINE_LINUX'));
    t.deepEqual(changed(after), changed(before), name);
  }
});

test('real grub.d drop-ins: Ubuntu cloud image settings, and kdump-tools\' line that builds on the variable', (t) => {
  const cloud = real('grub-d/50-cloudimg-settings-ubuntu-rackspace.cfg');
  t.is(grubVar(cloud, 'GRUB_CMDLINE_LINUX_DEFAULT'), 'console=tty1 console=ttyS0');
  t.is(grubVar(cloud, 'GRUB_RECORDFAIL_TIMEOUT'), '0');
  const kdump = parseShellAssignments(real('grub-d/kdump-tools-debian-12-package.cfg'));
  t.deepEqual(kdump.map((a) => [a.name, a.value]), [['GRUB_CMDLINE_LINUX_DEFAULT', null]], 'no literal: it expands $GRUB_CMDLINE_LINUX_DEFAULT');
});

test('real grub.cfg: CentOS 7 and RHEL 7.1 grub2-mkconfig entries (linux16, ids)', (t) => {
  const [c7] = parseGrubCfg(real('grub-cfg/grub-cfg-centos-7-menuentry-excerpt.cfg'));
  t.is(c7?.title, 'CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core) (recovery mode)');
  t.is(c7?.id, 'gnulinux-3.10.0-1160.el7.x86_64-recovery-f53f4005-0f31-4ac7-9c28-d5cb7b895b20');
  t.is(c7?.kernel, '/vmlinuz-3.10.0-1160.el7.x86_64');
  t.is(c7?.params, 'root=/dev/mapper/centos-root ro single crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet');

  const rhel = parseGrubCfg(real('grub-cfg/grub-cfg-rhel-7.1-10_linux-excerpt.cfg'));
  t.deepEqual(rhel.map((e) => [e.index, e.kernel]), [[0, '/vmlinuz-3.10.0-229.14.1.el7.x86_64'], [1, '/vmlinuz-0-rescue-997aadf25d384ab2be3c52219f65056a']]);
  t.true(cmdlineSatisfies(rhel[0]!.params!, ['intel_iommu=on', 'ixgbe.max_vfs=16']).ok);
  t.is(findGrubEntry(rhel, 'Red Hat Enterprise Linux Server 7.1 (Maipo), with Linux 3.10.0-229.14.1.el7.x86_64'), rhel[0]);
  t.is(nextBootEntry(rhel, 'grub.cfg', undefined, 'saved', { saved_entry: 'Red Hat Enterprise Linux Server 7.1 (Maipo), with Linux 3.10.0-229.14.1.el7.x86_64' }).entry, rhel[0]!);
});

test('real grub.cfg: Debian 9 update-grub with a submenu; it honours next_entry', (t) => {
  const cfg = real('grub-cfg/grub-cfg-debian-9-update-grub-submenu.cfg');
  const entries = parseGrubCfg(cfg);
  t.deepEqual(entries.map((e) => [e.submenus.map((s) => s.title).join('>'), e.index, e.title]), [
    ['', 0, 'Debian GNU/Linux'],
    ['Advanced options for Debian GNU/Linux', 0, 'Debian GNU/Linux, with Linux 4.9.0-3-amd64'],
    ['Advanced options for Debian GNU/Linux', 1, 'Debian GNU/Linux, with Linux 4.9.0-3-amd64 (recovery mode)'],
  ]);
  t.is(entries[0]?.id, 'gnulinux-simple-3378f75a-e05c-4372-88dd-b98c02822c90');
  t.is(entries[0]?.params, 'root=/dev/mapper/debian--vg-root ro  quiet');
  t.is(entries[2]?.params, 'root=/dev/mapper/debian--vg-root ro single');
  t.is(findGrubEntry(entries, '1>1'), entries[2]);
  t.true(honoursNextEntry(cfg));
});

test('real grub.cfg with blscfg (EL 8, Fedora + Windows on UEFI): no Linux entry of their own', (t) => {
  const el8 = real('grub-cfg/grub-cfg-el8-blscfg-issabel.cfg');
  t.deepEqual(parseGrubCfg(el8), []);
  t.true(honoursNextEntry(el8));
  const fedora = real('grub-cfg/grub-cfg-fedora-blscfg-efi-windows.cfg');
  const entries = parseGrubCfg(fedora);
  t.deepEqual(entries.map((e) => [e.index, e.id, e.kernel]), [[0, 'osprober-efi-1C43-C628', null], [1, 'uefi-firmware', null]]);
  t.true(honoursNextEntry(fedora));
  const error = t.throws(() => nextBootEntry(entries, '/boot/grub2/grub.cfg', fedora, 'saved', {}));
  t.regex(error?.message ?? '', /has no Linux boot entries \(only "Windows Boot Manager \(on \/dev\/nvme1n1p2\)", "UEFI Firmware Settings", which boot no Linux kernel\); it loads Boot Loader Specification entries \(blscfg\)/);
});

// Issue 22: Debian's memtest86+ (6.x, EFI) adds `linux /boot/memtest86+x64.efi`, BIOS
// `linux16 /boot/memtest86+x64.bin` (its /etc/grub.d/20_memtest86+); EL's memtest86+ 5
// `linux16 /elf-memtest86+-5.01`. None of them boots Linux. The entries below are in that form.
test('a memtest86+ entry is no Linux boot entry', (t) => {
  const cfg = [
    "menuentry 'Memory test (memtest86+x64.efi)' --class memtest $menuentry_id_option 'memtest86+-efi' {",
    '\tinsmod part_gpt',
    '\tlinux\t/boot/memtest86+x64.efi',
    '}',
    "menuentry 'Memory test (memtest86+x64.bin)' --class memtest $menuentry_id_option 'memtest86+' {",
    '\tlinux16\t/boot/memtest86+x64.bin',
    '}',
    "menuentry 'Memtest86+ 5.01' {",
    '\tlinux16 /elf-memtest86+-5.01',
    '}',
    "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple' {",
    '\tlinux\t/vmlinuz-6.1.0-21-amd64 root=/dev/vda1 ro quiet',
    '}',
    '',
  ].join('\n');
  const entries = parseGrubCfg(cfg);
  t.deepEqual(entries.map((e) => e.kernel), [null, null, null, '/vmlinuz-6.1.0-21-amd64']);
  t.throws(() => nextBootEntry(entries, 'grub.cfg', cfg, '0', {}), { message: /boots no Linux|no Linux/ });
  t.throws(() => nextBootEntry(entries.slice(0, 3), 'grub.cfg', cfg, '0', {}), { message: /has no Linux boot entries/ });
});

test('real grub2-editenv list (RHEL 7.8): saved_entry is a title', (t) => {
  t.deepEqual(parseGrubEnv(real('grubenv/grub2-editenv-list-rhel-7.8-saved-title.txt')), { saved_entry: 'Red Hat Enterprise Linux Server (3.10.0-1127.el7.x86_64) 7.8 (Maipo)' });
});

test('real grubby --info=ALL (RHEL 9.1, grubby-bls): entries, ids, params', (t) => {
  const entries = parseGrubbyInfo(real('grubby/grubby-info-all-rhel-9.1-two-entries.txt'));
  t.deepEqual(entries.map((e) => [e.index, e.id, e.kernel]), [
    [0, '4d684a4a6166439a867e701ded4f7e10-5.14.0-162.6.1.el9_1.x86_64', '/boot/vmlinuz-5.14.0-162.6.1.el9_1.x86_64'],
    [1, '4d684a4a6166439a867e701ded4f7e10-5.14.0-70.13.1.el9_0.x86_64', '/boot/vmlinuz-5.14.0-70.13.1.el9_0.x86_64'],
  ]);
  t.is(entries[0]?.title, 'Red Hat Enterprise Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Plow)');
  t.is(grubbyParams(entries[0]!), 'root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet retbleed=stuff');
});

// EL 7's C grubby lists grub.cfg's entries without BLS ids and says "non linux entry" for others;
// the tool reads EL 7 through grub.cfg and grubby only where entries are BLS (EL 8+).
test('real grubby --info=ALL of EL 7 (no id=, "non linux entry") is refused with a clear message', (t) => {
  const text = real('grubby/grubby-info-all-rhel-7.5-non-linux-entry.txt');
  t.throws(() => parseGrubbyInfo(text), { message: 'unexpected line in grubby --info output: non linux entry' });
  const withoutThatLine = text.replace('index=2\nnon linux entry\n', '');
  t.throws(() => parseGrubbyInfo(withoutThatLine), { message: 'grubby --info printed an entry without index, kernel or id (index=0)' });
});

test('real BLS entries (RHEL 8.0 with $tuned_params, Rocky 9.1): the trial entry replaces options and marks the title', (t) => {
  const rhel8 = real('bls/bls-entry-rhel-8.0-tuned-params.conf');
  const trial = renderBlsTrial('Red Hat Enterprise Linux (4.18.0-80.1.2.el8_0.x86_64) 8.0 (Ootpa)', rhel8, 'root=/dev/mapper/rhel_vm37--146-root ro intel_iommu=on');
  const lines = trial.split('\n');
  t.is(lines[0], 'title sriov-lxc trial: Red Hat Enterprise Linux (4.18.0-80.1.2.el8_0.x86_64) 8.0 (Ootpa)');
  t.is(lines.find((l) => l.startsWith('options')), 'options root=/dev/mapper/rhel_vm37--146-root ro intel_iommu=on');
  t.is(lines.length, rhel8.split('\n').length);
  t.true(trial.includes('initrd /initramfs-4.18.0-80.1.2.el8_0.x86_64.img $tuned_initrd'), 'other lines kept');
  const rocky = renderBlsTrial('Rocky', real('bls/bls-entry-rocky-9.1-selinux0.conf'), 'x=1');
  t.true(rocky.includes('\noptions x=1\n'));
  t.true(rocky.includes('grub_class rocky'));
});
