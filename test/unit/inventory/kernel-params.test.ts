// The kernel params a host's plan needs (inventory/kernel-params.ts), written out by hand: the
// paper's IOMMU off, passthrough, huge pages of each size, VF counts per port.
import test from 'ava';
import { extraParams, hugepageParams, iommuParams, kernelParamName, maxVfsParams } from '../../../inventory/kernel-params.ts';
import type { DriverPlan, PfPlan } from '../../../inventory/plan.ts';

test('IOMMU: off, on, or on with host devices in passthrough', (t) => {
  t.deepEqual(iommuParams('off'), ['intel_iommu=off']);
  t.deepEqual(iommuParams('on'), ['intel_iommu=on']);
  t.deepEqual(iommuParams('pt'), ['intel_iommu=on', 'iommu=pt']);
});

test('huge pages: the size as default and as pool; the count at boot for 1 GB pages only', (t) => {
  t.deepEqual(hugepageParams(undefined), []);
  t.deepEqual(hugepageParams({ count: 1024, size: '2M', mount: '/mnt/huge' }), ['default_hugepagesz=2M', 'hugepagesz=2M']);
  t.deepEqual(hugepageParams({ count: 16, size: '1G', mount: '/mnt/huge' }), ['default_hugepagesz=1G', 'hugepagesz=1G', 'hugepages=16']);
});

const driver: DriverPlan = { source: 'inbox', pfModule: 'ixgbe', vfModule: 'ixgbevf' };
const pf = (name: string, vfs: number, vfCreation: PfPlan['vfCreation']): PfPlan => ({ name, vfs, vfCreation, vfCreationSetting: vfCreation, vfSettings: [], macs: [], autoMacs: true });

test('max_vfs: one count per port through the parameter, in the PFs\' order; none when no port uses it', (t) => {
  t.deepEqual(maxVfsParams(driver, [pf('p1p1', 8, 'max_vfs'), pf('p1p2', 4, 'max_vfs')]), ['ixgbe.max_vfs=8,4']);
  t.deepEqual(maxVfsParams(driver, [pf('p1p1', 8, 'sysfs'), pf('p1p2', 4, 'max_vfs')]), ['ixgbe.max_vfs=4']);
  t.deepEqual(maxVfsParams(driver, [pf('p1p1', 8, 'sysfs')]), []);
  t.deepEqual(maxVfsParams(driver, []), []);
});

test('extra params: key=value, a flag by its name; names kept as written', (t) => {
  t.deepEqual(extraParams({ quiet: null, console: 'ttyS0,115200', 'intel-pstate': 'disable' }), ['quiet', 'console=ttyS0,115200', 'intel-pstate=disable']);
  t.deepEqual(extraParams({ empty: '' }), ['empty='], 'an empty value is a value');
  t.is(kernelParamName('--'), '__');
});
