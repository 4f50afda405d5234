// The edit of /etc/default/grub in words (node/boot/grub-defaults.ts), on Ubuntu 22.04's file from
// OVHcloud's image (test/fixtures/real/SOURCES.md: iommu=pt and two consoles in
// GRUB_CMDLINE_LINUX) and Debian 12's stock file: what is added, replaced and removed, params
// already on the line only in GRUB_CMDLINE_LINUX_DEFAULT, and params the kernel reads alike.
import test from 'ava';
import { parseInventory } from '../../../../inventory/load.ts';
import { describeEdit, describeParamsEdit, editGrubDefaults, effectiveCmdline, planEdit } from '../../../../node/boot/grub-defaults.ts';
import { fixture } from '../../../helpers/fake-host.ts';
import { iommuOnPlan, labNodePlan } from '../../../helpers/plans.ts';

const OVH = fixture('real/grub-default/default-grub-ubuntu-22.04-ovh.txt');
const STOCK = fixture('stages/cmdline/default-grub-debian12.txt');
const LAB = 'intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4,4';

const sysfsPlan = () => parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: pt
    hugepages: { count: 16 }
    pfs:
      - { name: enp4s0f0, vfs: 4, vfCreation: sysfs }
`, '/tmp/inventory.yaml').hosts[0]!;

test('Ubuntu 22.04 (OVHcloud) for iommu: on: the params added to GRUB_CMDLINE_LINUX, its iommu=pt removed; the consoles stay', (t) => {
  t.is(effectiveCmdline(OVH), 'nomodeset iommu=pt console=tty0 console=ttyS1,115200n8');
  t.deepEqual(describeEdit(OVH, planEdit(iommuOnPlan())), [
    'add intel_iommu=on default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4 to GRUB_CMDLINE_LINUX',
    'remove iommu=pt (contradicts the plan)',
  ]);
  const edited = editGrubDefaults(OVH, iommuOnPlan());
  t.true(edited.text.includes('\nGRUB_CMDLINE_LINUX="nomodeset console=tty0 console=ttyS1,115200n8 intel_iommu=on default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4"\n'), edited.text);
  t.is(edited.text.replace(/^GRUB_CMDLINE_LINUX=.*$/m, ''), OVH.replace(/^GRUB_CMDLINE_LINUX=.*$/m, ''), 'nothing else changes');
});

test('the params already on the line, only from GRUB_CMDLINE_LINUX_DEFAULT: the edit moves them into GRUB_CMDLINE_LINUX', (t) => {
  const text = STOCK.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', `GRUB_CMDLINE_LINUX_DEFAULT="quiet ${LAB}"`);
  t.deepEqual(describeEdit(text, planEdit(labNodePlan())), [`move ${LAB} into GRUB_CMDLINE_LINUX`]);
  t.deepEqual(describeParamsEdit(effectiveCmdline(text), planEdit(labNodePlan()), 'add'), []);
});

test('in words: a value replaced is named with what the node has; a param to remove counts by key for a flag, by value for key=value, in any spelling', (t) => {
  const edit = planEdit(iommuOnPlan());
  t.deepEqual(edit, { add: iommuOnPlan().kernelParams, remove: ['iommu=pt'] });
  t.deepEqual(describeParamsEdit('ro intel_iommu=off iommu=soft default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4', edit, 'add'), ['set intel_iommu=on instead of intel_iommu=off']);
  t.deepEqual(describeParamsEdit('ro intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4', edit, 'add'), ['remove iommu=pt (contradicts the plan)']);
  // VFs through sysfs: any max_vfs left on the line is removed, however spelt.
  const sysfs = planEdit(sysfsPlan());
  t.deepEqual(sysfs.remove, ['ixgbe.max_vfs']);
  t.deepEqual(describeParamsEdit('ro intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max-vfs=8', sysfs, 'add'), ['remove ixgbe.max_vfs (contradicts the plan)']);
  t.deepEqual(describeParamsEdit('ro iommu=pt default_hugepagesz=2M', sysfs, 'add'), ['add intel_iommu=on hugepagesz=2M']);
  // Teardown's edit: what provisioning put on comes off, named as ours.
  t.deepEqual(describeParamsEdit(`ro quiet ${LAB}`, { add: [], remove: LAB.split(' ') }, 'remove'), [`remove ${LAB} (put on by sriov-lxc)`]);
});

test('effectiveCmdline: GRUB_CMDLINE_LINUX then _DEFAULT, the last assignment of each, empty or absent ones left out', (t) => {
  t.is(effectiveCmdline(STOCK), 'quiet');
  t.is(effectiveCmdline('GRUB_CMDLINE_LINUX="a"\nGRUB_CMDLINE_LINUX="b c"\n'), 'b c');
  t.is(effectiveCmdline('GRUB_CMDLINE_LINUX_DEFAULT=""\nGRUB_CMDLINE_LINUX="b"\n'), 'b');
  t.is(effectiveCmdline(''), '');
});
