// The NIC axis of the tool: the plan resolved per NIC (drivers, VF creation, kernel params,
// firmware step), per-VF settings in the inventory and their order, mstconfig's query output.
import test from 'ava';
import { parseInventory } from '../../../inventory/load.ts';
import { resolveNic } from '../../../inventory/nic-resolve.ts';
import { nicOfPciId } from '../../../inventory/nics.ts';
import { settingDrift, settingWords } from '../../../node/vfs/vf-settings.ts';
import { macScript } from '../../../node/vfs/mac-boot-files.ts';
import { nextBoot, parseMstconfigQuery } from '../../../node/parse/mstconfig.ts';
import { fixture } from '../../helpers/fake-host.ts';

const inventory = (host: string) => `
hosts:
  node1:
    address: 127.0.0.1
    hugepages: { count: 16 }
${host}
`;
const PFS = `    pfs:
      - { name: enp4s0f0, vfs: 4 }
      - { name: enp4s0f1, vfs: 2 }`;
const plan = (host: string) => parseInventory(inventory(host), '/tmp/inventory.yaml').hosts[0]!;

test('PCI ids name the NIC; an unknown one is undefined', (t) => {
  t.is(nicOfPciId('0x8086', '0x10fb'), '82599');
  t.is(nicOfPciId('0x8086', '0x1572'), 'x710');
  t.is(nicOfPciId('0x8086', '0x1592'), 'e810');
  t.is(nicOfPciId('0x15b3', '0x1017'), 'cx5');
  t.is(nicOfPciId('0x1af4', '0x1041'), undefined);
});

test('nic auto: the paper\'s ixgbe.max_vfs until the node is read; for an X710 sysfs and no max_vfs', (t) => {
  const p = plan(PFS);
  t.deepEqual(p.kernelParams, ['intel_iommu=on', 'iommu=pt', 'default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4,2']);
  const x710 = resolveNic(p, 'x710');
  t.deepEqual(x710.problems, []);
  t.deepEqual(x710.plan.kernelParams, ['intel_iommu=on', 'iommu=pt', 'default_hugepagesz=2M', 'hugepagesz=2M']);
  t.deepEqual(x710.plan.pfs.map((pf) => pf.vfCreation), ['sysfs', 'sysfs']);
  t.like(x710.plan.driver, { pfModule: 'i40e', vfModule: 'iavf' });
  t.is(x710.plan.firmware, undefined);
  const cx5 = resolveNic(p, 'cx5').plan;
  t.like(cx5.driver, { pfModule: 'mlx5_core', vfModule: 'mlx5_core' });
  t.deepEqual(cx5.firmware, { tool: 'mstconfig', numVfs: 4 }, 'the most VFs any PF plans');
});

test('a pinned nic resolves at load; max_vfs or Intel tarballs on a NIC without them are refused with the fix', (t) => {
  const pinned = plan(`    nic: e810\n${PFS}`);
  t.like(pinned, { nic: { model: 'e810', setting: 'e810' }, driver: { pfModule: 'ice', vfModule: 'iavf' } });
  t.false(pinned.kernelParams.some((k) => k.includes('max_vfs')));
  t.throws(() => plan(`    nic: x710\n    pfs:\n      - { name: enp4s0f0, vfs: 4, vfCreation: max_vfs }`), {
    message: /hosts\.node1\.nic: "x710" pfs enp4s0f0: vfCreation max_vfs, but i40e has no max_vfs parameter: use vfCreation sysfs \(or auto\)/,
  });
  t.throws(() => plan(`    nic: cx5\n    driver: { source: tarball, pf: a.tgz, vf: b.tgz }\n${PFS}`), { message: /for mlx5_core use source: inbox/ });
});

test('vfSettings: all, then per index; an index beyond the VFs is named', (t) => {
  const p = plan(`    pfs:\n      - { name: enp4s0f0, vfs: 2, vfSettings: { all: { spoofchk: false }, 1: { vlan: 10, qos: 3, spoofchk: true } } }`);
  t.deepEqual(p.pfs[0]?.vfSettings, [{ spoofchk: false }, { spoofchk: true, vlan: 10, qos: 3 }]);
  t.throws(() => plan(`    pfs:\n      - { name: enp4s0f0, vfs: 2, vfSettings: { 2: { trust: true } } }`), { message: /pfs\[0\]\.vfSettings\.2: is not a VF of enp4s0f0 \(it has 2 VFs: 0-1\)/ });
});

test('VF settings in the order the drivers need, only those that differ', (t) => {
  const s = { vlan: 10, qos: 3, maxTxRate: 1000, trust: true, spoofchk: true, linkState: 'enable' as const };
  t.deepEqual(settingWords(s), [['vlan', '10', 'qos', '3'], ['max_tx_rate', '1000'], ['trust', 'on'], ['spoofchk', 'on'], ['state', 'enable']]);
  const info = { vf: 0, mac: '02:00:00:00:00:01', vlan: 10, qos: 3, maxTxRate: 0, spoofchk: true, trust: false, linkState: 'enable' };
  t.deepEqual(settingDrift(s, info), [['max_tx_rate', '1000'], ['trust', 'on']]);
  const script = macScript('node1', [{ name: 'enp4s0f0', vfs: 1, vfCreation: 'sysfs', vfCreationSetting: 'auto', vfSettings: [s], macs: ['02:00:00:00:00:01'], autoMacs: false }]);
  t.regex(script, /^ {2}set_mac enp4s0f0 0 02:00:00:00:00:01\n {2}set_vf enp4s0f0 0 vlan 10 qos 3\n {2}set_vf enp4s0f0 0 max_tx_rate 1000\n {2}set_vf enp4s0f0 0 trust on\n {2}set_vf enp4s0f0 0 spoofchk on\n {2}set_vf enp4s0f0 0 state enable$/m, 'the boot script: the MAC first');
});

test('mstconfig query: next boot values of mstflint 4.x, plain and with -e (test/fixtures/mstconfig/README.md)', (t) => {
  const off = parseMstconfigQuery(fixture('mstconfig/cx5-query-sriov-off.txt'));
  t.is(off.deviceType, 'ConnectX5');
  t.is(nextBoot(off, 'SRIOV_EN'), 0);
  t.is(nextBoot(off, 'NUM_OF_VFS'), 0);
  t.is(nextBoot(off, 'HOST_CHAINING_DESCRIPTORS'), null, 'an array is not a number');
  const e = parseMstconfigQuery(fixture('mstconfig/cx6lx-query-e.txt'));
  t.deepEqual(e.params.find((p) => p.name === 'NUM_OF_VFS')?.values, { Default: 8, Current: 8, 'Next Boot': 16 });
  t.is(nextBoot(e, 'SRIOV_EN'), 1);
  t.is(nextBoot(e, 'LINK_TYPE_P1'), undefined);
  t.throws(() => parseMstconfigQuery('-E- Failed to open device: 04:00.5, No such file or directory\n'), { message: /no "Configurations:" table/ });
});
