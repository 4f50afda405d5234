// What teardown does to /etc/default/grub (node/boot/cmdline-target.ts), on the captured
// files of test/fixtures/stages/cmdline (the lab's CentOS 7 defaults before and after
// kernel-cmdline's edit for the lab plan, Debian 12's stock file and its edit for the paper node).
import test from 'ava';
import { cmdlineTeardown, leftOn, notOwnParams } from '../../../../node/boot/cmdline-target.ts';
import { parseInventory } from '../../../../inventory/load.ts';
import { fixture } from '../../../helpers/fake-host.ts';
import { labNodePlan } from '../../../helpers/plans.ts';

const c = (name: string) => fixture(`stages/cmdline/${name}`);
const LAB_PARAMS = ['intel_iommu=on', 'iommu=pt', 'default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4,4'];

test('no backup: sriov-lxc never wrote /etc/default/grub, nothing to take off', (t) => {
  const current = c('default-grub-lab-centos7.txt');
  t.deepEqual(cmdlineTeardown(current, undefined, labNodePlan()), { how: 'nothing', target: current, remove: [], add: [] });
});

test('as provisioning left it: the backup goes back, the params it added are taken off', (t) => {
  const backup = c('default-grub-lab-centos7.txt');
  const r = cmdlineTeardown(c('default-grub-lab-centos7-configured.txt'), backup, labNodePlan());
  t.deepEqual(r, { how: 'restore-backup', target: backup, remove: LAB_PARAMS, add: [] });
  // Restored, not yet rid of the backup (a commit stopped between the two): still a restore.
  t.is(cmdlineTeardown(backup, backup, labNodePlan()).how, 'restore-backup');
});

test('changed by the operator since: the added params are taken off token by token, the rest of the file kept', (t) => {
  const configured = c('default-grub-lab-centos7-configured.txt').replace('GRUB_TIMEOUT=5', 'GRUB_TIMEOUT=7').replace('rhgb quiet', 'rhgb quiet nomodeset');
  const r = cmdlineTeardown(configured, c('default-grub-lab-centos7.txt'), labNodePlan());
  t.is(r.how, 'remove-params');
  t.deepEqual(r.remove, LAB_PARAMS);
  t.deepEqual(r.add, [], 'nothing put back into a file the operator changed');
  t.is(r.target, c('default-grub-lab-centos7.txt').replace('GRUB_TIMEOUT=5', 'GRUB_TIMEOUT=7').replace('rhgb quiet', 'rhgb quiet nomodeset'));
  // Idempotent: the file without them is its own target.
  t.is(cmdlineTeardown(r.target, c('default-grub-lab-centos7.txt'), labNodePlan()).target, r.target);
});

test('a param provisioning replaced comes back with the backup (Debian 12, the paper node: intel_iommu=off)', (t) => {
  const plan = parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: off
    hugepages: { count: 16 }
    pfs:
      - { name: enp4s0f0, vfs: 8 }
      - { name: enp4s0f1, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!;
  const stock = c('default-grub-debian12.txt').replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"');
  // kernel-cmdline's edit of that file is the captured configured one: intel_iommu=on replaced in place, iommu=pt dropped.
  const r = cmdlineTeardown(c('default-grub-debian12-configured.txt'), stock, plan);
  t.is(r.how, 'restore-backup');
  t.is(r.target, stock);
  t.true(r.remove.includes('intel_iommu=off'));
  t.deepEqual(r.add, ['intel_iommu=on', 'iommu=pt']);
});

test('leftOn: the params of remove still on a cmdline (flags by key, key=value by value)', (t) => {
  const remove = ['intel_iommu=on', 'iommu=pt', 'quiet'];
  t.deepEqual(leftOn('BOOT_IMAGE=/vmlinuz ro intel_iommu=off nomodeset', remove), []);
  t.deepEqual(leftOn('BOOT_IMAGE=/vmlinuz ro intel_iommu=on nomodeset', remove), ['intel_iommu=on']);
  t.deepEqual(leftOn('ro quiet=1 nomodeset', remove), ['quiet'], 'a flag is removed by key');
  t.deepEqual(leftOn('ro iommu=pt intel_iommu=on panic=10', remove), ['intel_iommu=on', 'iommu=pt']);
});

test('changed since, with params of ours in GRUB_CMDLINE_LINUX_DEFAULT too: taken off there as well, the operator\'s stay', (t) => {
  const configured = `${c('default-grub-lab-centos7-configured.txt')}GRUB_CMDLINE_LINUX_DEFAULT="nosmt iommu=pt hugepagesz=2M"\n`;
  const r = cmdlineTeardown(configured, c('default-grub-lab-centos7.txt'), labNodePlan());
  t.is(r.how, 'remove-params');
  t.is(r.target, `${c('default-grub-lab-centos7.txt')}GRUB_CMDLINE_LINUX_DEFAULT="nosmt"\n`);
});

test('leftOn: a key spelt with - is the same param (the kernel reads them alike); a bare key matches any value', (t) => {
  t.deepEqual(leftOn('ro intel-iommu=on ixgbe.max-vfs=8', ['intel_iommu=on', 'ixgbe.max_vfs']), ['intel_iommu=on', 'ixgbe.max_vfs']);
  t.deepEqual(leftOn('ro ixgbe.max_vfs=8', ['ixgbe.max_vfs=4,4']), [], 'another value is not ours');
});

test('notOwnParams: with nothing of sriov-lxc left, the plan\'s params the node\'s own command line lacks are to stay off', (t) => {
  t.deepEqual(notOwnParams('ro quiet intel-iommu=on iommu=pt', LAB_PARAMS), { add: [], remove: ['default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4,4'] });
  t.deepEqual(notOwnParams('ro intel_iommu=off', LAB_PARAMS), { add: [], remove: LAB_PARAMS });
  t.deepEqual(notOwnParams(`ro ${LAB_PARAMS.join(' ')}`, LAB_PARAMS), { add: [], remove: [] });
});
