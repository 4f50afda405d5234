// The pure parts of the trial boot: the trial entry copied from a grub.cfg entry, its params, the
// header check, and what GRUB can write at boot. grub.cfg samples from test/fixtures (real
// update-grub / grub2-mkconfig output unless their README says otherwise).
import test from 'ava';
import { fixture } from '../../helpers/fake-host.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { parseGrubCfg } from '../../../node/parse/grub-cfg.ts';
import { ParseError } from '../../../node/parse/parse-error.ts';
import { honoursNextEntry, menuEntryBodies, menuEntryBody, renderTrialScript, trialParams } from '../../../node/boot/trial-entry.ts';
import { grubenvBootWriteProblem, grubenvFileProblem, parseProbeWords } from '../../../node/boot/grubenv-check.ts';

const CFGS = [
  'parse/grub-debian12.cfg',
  'parse/grub-debian12-saved-custom.cfg',
  'parse/grub-centos7.cfg',
  'stages/cmdline/grub-debian12-trial.cfg',
  'stages/cmdline/grub2-lab-centos7-fresh.cfg',
  'stages/cmdline/grub-debian12-custom-default.cfg',
];

function plan(iommu: string): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: ${iommu}
    pfs:
      - { name: enp4s0f0, vfs: 8, vfCreation: max_vfs }
`, '/tmp/inventory.yaml').hosts[0]!;
}

/** The menu entries of a /etc/grub.d script as grub-mkconfig would see its output (line 3 on). */
const scriptMenu = (script: string) => parseGrubCfg(script.split('\n').slice(2).join('\n'));

for (const path of CFGS) {
  test(`every menu entry of ${path} has its body found, in menu order`, (t) => {
    const cfg = fixture(path);
    const entries = parseGrubCfg(cfg);
    const bodies = menuEntryBodies(cfg);
    t.is(bodies.length, entries.length);
    // Each body holds its entry's linux line (the parser's kernel + params), and nothing of the next entry.
    entries.forEach((e, i) => {
      const linux = bodies[i]?.filter((l) => /^\s*linux(16|efi)?\s/.test(l)) ?? [];
      t.is(linux.length, e.kernel === null ? 0 : 1, e.title);
      if (e.kernel !== null) t.true(linux[0]?.includes(`${e.kernel} ${e.params ?? ''}`.trim()), e.title);
      t.false(bodies[i]?.some((l) => /^\s*(menuentry|submenu)\s/.test(l)), e.title);
    });
  });
}

test('an entry inside a submenu: its body, indented as in grub.cfg', (t) => {
  const cfg = fixture('parse/grub-debian12.cfg');
  const entry = parseGrubCfg(cfg).find((e) => e.submenus.length === 1 && e.title.endsWith('6.1.0-18-amd64'));
  if (!entry) return t.fail('no such entry');
  const body = menuEntryBody(cfg, entry);
  t.is(body[0], '\t\tload_video');
  t.is(body.at(-1), '\t\tinitrd\t/initrd.img-6.1.0-18-amd64');
});

test('the trial script of the Debian capture: the default entry with the params on its linux line', (t) => {
  const cfg = fixture('stages/cmdline/grub-debian12-fresh.cfg');
  const [base] = parseGrubCfg(cfg);
  if (!base) return t.fail('no entry');
  const params = trialParams(base.params ?? '', plan('off'));
  t.is(params, 'root=/dev/vda1 ro  quiet intel_iommu=off ixgbe.max_vfs=8 panic=10');
  const script = renderTrialScript(base, menuEntryBody(cfg, base), params);
  const [trial] = scriptMenu(script);
  t.like(trial, { title: 'sriov-lxc trial: Debian GNU/Linux', id: 'sriov-lxc-trial', kernel: base.kernel, params });
  t.true(script.startsWith('#!/bin/sh\nexec tail -n +3 "$0"\n# '));
});

test('a title with quotes and braces survives the copy (grub quoting), and the copy parses back', (t) => {
  const cfg = fixture('parse/grub-debian12-saved-custom.cfg');
  const base = parseGrubCfg(cfg).find((e) => e.title.startsWith('Operator'));
  if (!base) return t.fail('no such entry');
  const script = renderTrialScript(base, menuEntryBody(cfg, base), trialParams(base.params ?? '', plan('pt')));
  t.regex(script, /^menuentry 'sriov-lxc trial: Operator'\\''s "trial" \{boot\}' --id sriov-lxc-trial \{$/m);
  t.like(scriptMenu(script)[0], { title: 'sriov-lxc trial: Operator\'s "trial" {boot}', id: 'sriov-lxc-trial' });
});

test('trial params: the plan set in place, contradictions removed, an existing panic=N kept, panic=0 replaced', (t) => {
  t.is(trialParams('ro quiet intel_iommu=on iommu=pt panic=1', plan('off')), 'ro quiet intel_iommu=off panic=1 ixgbe.max_vfs=8');
  t.is(trialParams('ro panic=0', plan('pt')), 'ro panic=10 intel_iommu=on iommu=pt ixgbe.max_vfs=8');
  t.is(trialParams('ro panic=-1', plan('on')), 'ro panic=-1 intel_iommu=on ixgbe.max_vfs=8');
  // The development VM's own cmdline (it has panic=1): init's arguments after -- stay last.
  const vm = fixture('parse/cmdline-vm.txt').trim();
  t.regex(trialParams(vm, plan('pt')), / panic=1 .*intel_iommu=on iommu=pt ixgbe\.max_vfs=8 -- --init-arg$/);
});

test('an entry without exactly one linux line cannot be copied', (t) => {
  const error = t.throws(() => renderTrialScript({ title: 'UEFI Firmware Settings', id: 'uefi-firmware', index: 3, submenus: [], kernel: null, params: null }, ['\tfwsetup'], 'x'), { instanceOf: ParseError });
  t.regex(error?.message ?? '', /has 0 linux lines/);
});

test('grub-mkconfig headers boot a one-shot next_entry; a hand-written grub.cfg does not', (t) => {
  for (const path of ['stages/cmdline/grub-debian12-fresh.cfg', 'stages/cmdline/grub2-lab-centos7-fresh.cfg', 'parse/grub-centos7.cfg']) t.true(honoursNextEntry(fixture(path)), path);
  const handWritten = fixture('stages/cmdline/trial-script-debian12-paper.txt').split('\n').slice(2).join('\n');
  t.false(honoursNextEntry(handWritten));
});

test('GRUB writes grubenv at boot on plain disks with ext2/xfs/vfat, not on LVM, RAID, LUKS, btrfs or ZFS', (t) => {
  const env = '/boot/grub/grubenv';
  const device = (fs: string, abstraction: string) => ({ fs, abstractions: parseProbeWords(abstraction) });
  t.is(grubenvBootWriteProblem(env, device(fixture('stages/cmdline/grub-probe-fs-ext4.txt').trim(), fixture('stages/cmdline/grub-probe-abstraction-plain.txt'))), undefined);
  t.is(grubenvBootWriteProblem(env, device('xfs', '')), undefined);
  t.is(grubenvBootWriteProblem(env, device('fat', '')), undefined);
  t.is(grubenvBootWriteProblem(env, device('ext2', fixture('stages/cmdline/grub-probe-abstraction-lvm.txt'))), `${env} is on diskfilter lvm storage, which GRUB cannot write at boot`);
  t.is(grubenvBootWriteProblem(env, device('ext2', 'diskfilter mdraid1x\n')), `${env} is on diskfilter mdraid1x storage, which GRUB cannot write at boot`);
  t.is(grubenvBootWriteProblem(env, device('ext2', 'cryptodisk luks2\n')), `${env} is on cryptodisk luks2 storage, which GRUB cannot write at boot`);
  t.is(grubenvBootWriteProblem(env, device(fixture('stages/cmdline/grub-probe-fs-btrfs.txt').trim(), '')), `${env} is on btrfs, which GRUB cannot write at boot`);
  t.is(grubenvBootWriteProblem(env, device('zfs', '')), `${env} is on zfs, which GRUB cannot write at boot`);
});

test('a grubenv file: the captured ones pass; a missing one is created later; others are named', (t) => {
  const env = '/boot/grub/grubenv';
  t.is(grubenvFileProblem(env, fixture('stages/cmdline/grubenv-debian12-empty')), undefined);
  t.is(grubenvFileProblem(env, fixture('stages/cmdline/grubenv-next-entry-trial')), undefined);
  t.is(grubenvFileProblem(env, undefined), undefined);
  t.is(grubenvFileProblem(env, 'saved_entry=0\n'), `${env} is not a GRUB environment block (its first line is not "# GRUB Environment Block")`);
});
