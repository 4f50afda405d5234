// Reading the ConnectX firmware's SR-IOV settings with mstflint's mstconfig (node/facts/firmware.ts),
// on real query outputs (test/fixtures/real/SOURCES.md) and with mstflint before 4.8.
import test from 'ava';
import { parseInventory } from '../../../../inventory/load.ts';
import { resolveNic } from '../../../../inventory/nic-resolve.ts';
import { readFirmware } from '../../../../node/facts/firmware.ts';
import { nextBoot, parseMstconfigQuery } from '../../../../node/parse/mstconfig.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';

const plan = resolveNic(parseInventory(`
hosts:
  node1:
    address: 127.0.0.1
    pfs:
      - { name: enp5s0, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!, 'cx5').plan;

/** A node whose PF enp5s0 is 0000:05:00.0, with 16 VFs live. */
function node(): FakeHost {
  return new FakeHost('node1', { '/sys/class/net/enp5s0/device/sriov_totalvfs': '16\n' })
    .on(['readlink', '/sys/class/net/enp5s0/device'], { stdout: '../../../0000:05:00.0\n' });
}

// Debian's mstflint, `mstconfig query` of a ConnectX-3 (real): SRIOV_EN True(1), NUM_OF_VFS 16.
const DEBIAN_QUERY = fixture('real/mstconfig/mstconfig-query-cx3-debian-mstflint.txt');

test('real Debian mstflint output: the next-boot SRIOV_EN and NUM_OF_VFS', async (t) => {
  const host = node().on(['mstconfig', '-d', '0000:05:00.0', 'query', 'SRIOV_EN', 'NUM_OF_VFS'], { stdout: DEBIAN_QUERY });
  t.deepEqual(await readFirmware(host, plan), [{ pf: 'enp5s0', pci: '0000:05:00.0', sriovEn: 1, numVfs: 16, liveTotalVfs: 16 }]);
});

// mstflint before 4.8 refuses parameter names after `query` with this message (issue 22); the
// plain query lists every parameter, the two among them.
test('mstflint older than 4.8: asked again without parameter names, the two read from the full listing', async (t) => {
  const host = node()
    .on(['mstconfig', '-d', '0000:05:00.0', 'query', 'SRIOV_EN', 'NUM_OF_VFS'], { code: 1, stdout: '-E- query command expects no argument\n' })
    .on(['mstconfig', '-d', '0000:05:00.0', 'query'], { stdout: DEBIAN_QUERY });
  t.like((await readFirmware(host, plan))[0], { sriovEn: 1, numVfs: 16 });
  t.deepEqual(host.commands.filter((c) => c.startsWith('mstconfig')), ['mstconfig -d 0000:05:00.0 query SRIOV_EN NUM_OF_VFS', 'mstconfig -d 0000:05:00.0 query']);
});

test('another mstconfig failure is named with its command and output', async (t) => {
  const host = node().on(['mstconfig', '-d', '0000:05:00.0', 'query', 'SRIOV_EN', 'NUM_OF_VFS'], { code: 3, stderr: '-E- Failed to open device: 0000:05:00.0. No such file or directory\n' });
  await t.throwsAsync(readFirmware(host, plan), { message: /`mstconfig -d 0000:05:00.0 query SRIOV_EN NUM_OF_VFS` failed \(exit 3\): -E- Failed to open device/ });
});

test('real query outputs parsed: device, columns, values (mstflint on Debian, MFT mlxconfig, a trimmed listing)', (t) => {
  const debian = parseMstconfigQuery(DEBIAN_QUERY);
  t.is(debian.deviceType, 'ConnectX3');
  t.is(debian.device, '/sys/bus/pci/devices/0000:05:00.0/config', 'mstflint says "PCI device:"');
  t.is(debian.params.length, 20);
  t.deepEqual(debian.params.find((p) => p.name === 'LINK_TYPE_P2'), { name: 'LINK_TYPE_P2', values: { 'Next Boot': 3 } });
  t.is(nextBoot(debian, 'LOG_BAR_SIZE'), 5);

  const mft = parseMstconfigQuery(fixture('real/mstconfig/mlxconfig-query-cx3-mft-el.txt'));
  t.is(mft.deviceType, 'ConnectX3');
  t.is(mft.device, '/dev/mst/mt4099_pciconf0');
  t.is(nextBoot(mft, 'SRIOV_EN'), 1);
  t.is(nextBoot(mft, 'NUM_OF_VFS'), 8);
  t.is(nextBoot(mft, 'BOOT_VLAN_EN_P1'), 0);
  t.is(nextBoot(mft, 'IP_VER_P1'), 0);

  // The author trimmed the column header off: the single value column is still the next boot's.
  const trimmed = parseMstconfigQuery(fixture('real/mstconfig/mlxconfig-query-cx4-no-column-header-trimmed.txt'));
  t.is(trimmed.deviceType, 'ConnectX4');
  t.is(trimmed.device, '/dev/mst/mt4115_pciconf0');
  t.deepEqual(trimmed.params.map((p) => [p.name, p.values['Next Boot']]), [['LINK_TYPE_P1', 2], ['SRIOV_EN', 1], ['NUM_OF_VFS', 8]]);
});
