// The node readers on outputs and files captured on real machines by others
// (test/fixtures/real/SOURCES.md): os-release, cpuinfo, lspci, ip link, ip -V, lsmod, fstab, LXC.
// Expected values are read off the files.
import test from 'ava';
import { fixture } from '../../../helpers/fake-host.ts';
import { distroFamily, grubCommands, parseOsRelease } from '../../../../node/parse/os-release.ts';
import { parseCpuinfo, virtualizationSupport } from '../../../../node/parse/cpuinfo.ts';
import { findPciDevice, parseLspci, virtualFunctions } from '../../../../node/parse/lspci.ts';
import { nicOfPciId } from '../../../../inventory/nics.ts';
import { findLink, parseIpLink } from '../../../../node/parse/ip-link.ts';
import { parseIprouteVersion } from '../../../../node/parse/iproute-version.ts';
import { parseLsmod } from '../../../../node/parse/modules.ts';
import { findFstabEntry, parseFstab } from '../../../../node/parse/fstab.ts';
import { lxcNetworkValue, parseLxcConfig } from '../../../../node/parse/lxc-config.ts';
import { parseLxcInfo } from '../../../../node/parse/lxc-info.ts';
import { lxcKeyStyle, parseLxcVersion } from '../../../../node/parse/lxc-version.ts';

const real = (path: string): string => fixture(`real/${path}`);

test('real os-release: ids, versions and the grub commands each family gets', (t) => {
  const read = (name: string) => parseOsRelease(real(`os-release/${name}`));
  const rows = [
    ['os-release-centos-7.txt', 'centos', '7', 'rhel', 'CentOS Linux 7 (Core)'],
    ['os-release-rhel-7.5-server.txt', 'rhel', '7.5', 'rhel', 'Red Hat Enterprise Linux Server 7.5 (Maipo)'],
    ['os-release-rhel-9.6.txt', 'rhel', '9.6', 'rhel', 'Red Hat Enterprise Linux 9.6 (Plow)'],
    ['os-release-almalinux-9.2.txt', 'almalinux', '9.2', 'rhel', 'AlmaLinux 9.2 (Turquoise Kodkod)'],
    ['os-release-debian-12.txt', 'debian', '12', 'debian', 'Debian GNU/Linux 12 (bookworm)'],
    ['os-release-ubuntu-24.04.3.txt', 'ubuntu', '24.04', 'debian', 'Ubuntu 24.04.3 LTS'],
  ] as const;
  for (const [name, id, version, family, pretty] of rows) {
    const release = read(name);
    t.deepEqual([release.id, release.versionId, distroFamily(release), release.prettyName], [id, version, family, pretty], name);
  }
  t.deepEqual(read('os-release-almalinux-9.2.txt').idLike, ['rhel', 'centos', 'fedora']);
  t.deepEqual(grubCommands(read('os-release-centos-7.txt'), { efi: false }).mkconfig[0], 'grub2-mkconfig');
  t.deepEqual(grubCommands(read('os-release-ubuntu-24.04.3.txt'), { efi: false }).mkconfig, ['update-grub']);
});

test('real /proc/cpuinfo: a bare-metal EL7 Xeon with vmx, a VM without it', (t) => {
  const metal = parseCpuinfo(real('cpuinfo/cpuinfo-xeon-e5-2680v4-baremetal-el7.txt'));
  t.is(metal.modelName, 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz');
  t.is(metal.processors, 1, 'one processor block (55) of the node');
  t.is(virtualizationSupport(metal.flags), 'vmx');
  t.true(metal.flags.has('kaiser') && metal.flags.has('eagerfpu'));
  const vm = parseCpuinfo(real('cpuinfo/cpuinfo-xeon-w2155-vm-2cpu.txt'));
  t.deepEqual([vm.modelName, vm.processors], ['Intel(R) Xeon(R) W-2155 CPU @ 3.30GHz', 2]);
  t.is(virtualizationSupport(vm.flags), null);
  t.true(vm.flags.has('hypervisor'));
});

test('real lspci -nn: 82599 PFs and VFs (RHEL 7.1), the NIC model from the ids', (t) => {
  const devices = parseLspci(real('lspci/lspci-nn-82599-rhel71-openstack.txt'));
  t.is(devices.length, 16);
  t.is(virtualFunctions(devices).length, 10);
  t.deepEqual(virtualFunctions(devices, '0000:04:00.0').map((d) => d.address).slice(0, 2), ['0000:04:10.0', '0000:04:10.1']);
  t.deepEqual(virtualFunctions(devices, '0000:03:00.0'), [], 'the Broadcom ports have none');
  const pf = findPciDevice(devices, '04:00.1');
  t.like(pf, { classId: '0200', vendorId: '8086', deviceId: '10fb', rev: '01', isVirtualFunction: false, description: 'Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection' });
  t.is(nicOfPciId(pf!.vendorId, pf!.deviceId), '82599');
  t.is(virtualFunctions(parseLspci(real('lspci/lspci-nn-82599-vf-ovn-chassis.txt'))).length, 4);
});

test('real lspci -nn: X710, E810, ConnectX-5/6 and mlx5Gen VFs, with -k/-v detail lines skipped', (t) => {
  const x710 = parseLspci(real('lspci/lspci-nn-x710-i40e-vf.txt'));
  t.deepEqual(x710.map((d) => [d.address, d.deviceId, d.isVirtualFunction]), [
    ['0000:01:00.0', '1572', false], ['0000:01:00.1', '1572', false], ['0000:01:02.0', '154c', true], ['0000:01:02.1', '154c', true],
  ]);
  t.is(nicOfPciId('8086', '1572'), 'x710');
  t.like(parseLspci(real('lspci/lspci-nn-s-e810-iavf-vf.txt'))[0], { deviceId: '1889', rev: '02', isVirtualFunction: true });
  for (const name of ['lspci-nn-connectx5-vf.txt', 'lspci-nn-cx5-4vfs-kube-ovn.txt']) {
    const cx5 = parseLspci(real(`lspci/${name}`));
    t.deepEqual(cx5.filter((d) => !d.isVirtualFunction).map((d) => d.deviceId), ['1017', '1017'], name);
    t.true(virtualFunctions(cx5).every((d) => d.deviceId === '1018' && d.rev === null), name);
  }
  t.is(nicOfPciId('15b3', '1017'), 'cx5');
  t.like(parseLspci(real('lspci/lspci-nn-s-cx6-infiniband-vf.txt'))[0], { className: 'Infiniband controller', classId: '0207', deviceId: '101c', isVirtualFunction: true });
  const vfio = parseLspci(real('lspci/lspci-nnk-d-15b3-101e-cx-vfs-vfio.txt'));
  t.deepEqual(vfio.map((d) => d.address), ['0000:d8:00.2', '0000:d8:00.3', '0000:d8:00.4', '0000:d8:00.5']);
  t.true(vfio.every((d) => d.isVirtualFunction));
  const e810 = parseLspci(real('lspci/lspci-nnv-e810xxv-sfp-subsystem.txt'));
  t.deepEqual(e810.map((d) => [d.address, d.deviceId, d.rev]), [['0000:60:00.0', '159b', '02']]);
  t.is(nicOfPciId('8086', '159b'), 'e810');
});

test('real ip link (text): 82599, X722, i40e, ConnectX VF tables in both VF line styles', (t) => {
  const ixgbe = parseIpLink(real('ip-link/ip-link-text-82599-8vfs.txt'));
  const pf = findLink(ixgbe, 'enp3s0f0');
  t.is(pf?.address, 'a0:36:9f:20:10:c8');
  t.is(pf?.vfs.length, 8);
  // iproute2's text prints max_tx_rate only when it is set: none printed is no limit (0).
  t.deepEqual(pf?.vfs[7], { vf: 7, mac: '00:00:00:00:00:00', vlan: 0, qos: 0, maxTxRate: 0, spoofchk: true, trust: false, linkState: 'auto' });

  const noTrust = parseIpLink(real('ip-link/ip-link-show-82599-ixgbe-2pf-2vfs-no-trust.txt'));
  t.deepEqual(noTrust.map((l) => l.ifname), ['lo', 'enp8s0', 'enp9s0', 'ens11f0', 'eth1', 'eth2', 'ens11f1', 'eth0', 'eth3']);
  t.deepEqual(findLink(noTrust, 'ens11f1')?.vfs.map((v) => [v.vf, v.spoofchk, v.trust, v.linkState]), [[0, true, null, 'auto'], [1, true, null, 'auto']]);

  const x722 = findLink(parseIpLink(real('ip-link/ip-link-show-x722-i40e-eth0-2vfs-altname.txt')), 'eth0');
  t.deepEqual(x722?.vfs.map((v) => v.mac), ['2e:3a:41:bc:02:cc', '5a:d4:e4:45:83:7b']);
  t.deepEqual(x722?.flags, ['BROADCAST', 'MULTICAST']);
  t.is(x722?.operstate, 'DOWN');

  const i40e = findLink(parseIpLink(real('ip-link/ip-link-show-i40e-enp2s0f0-vf0-admin-mac-patch.txt')), 'enp2s0f0');
  t.like(i40e?.vfs[0], { vf: 0, mac: 'fe:6c:b5:da:c7:7d', spoofchk: true, trust: false });

  const newer = findLink(parseIpLink(real('ip-link/ip-l-show-dev-eno12399-3vfs-newer-format.txt')), 'eno12399');
  t.deepEqual(newer?.vfs.map((v) => v.mac), ['d2:a3:e7:73:a5:f6', '1e:53:d7:e2:e2:fd', 'c2:52:5e:b9:0d:a9']);

  const cx5 = findLink(parseIpLink(real('ip-link/ip-l-show-cx5-mlx5-enp4s0f0np0-8vfs-ubuntu22.txt')), 'enp4s0f0np0');
  t.is(cx5?.vfs.length, 8);
  t.true(cx5?.vfs.every((v) => v.spoofchk === false && v.trust === false));
  t.is(findLink(parseIpLink(real('ip-link/ip-link-show-cx5-mlx5-p4p1-4vfs-kube-ovn.txt')), 'p4p1')?.vfs.length, 4);

  const cx4 = parseIpLink(real('ip-link/ip-link-show-cx4lx-mlx5-ens4f1-2vfs-ofed49.txt'));
  t.deepEqual(cx4.map((l) => [l.ifname, l.vfs.length]), [['ens4f1', 2], ['enp49s1f2', 0], ['enp49s1f3', 0]]);

  const all = parseIpLink(real('ip-link/ip-link-show-all-ubuntu22-altname-no-vfs.txt'));
  t.is(all.length, 8);
  t.deepEqual(findLink(all, 'enp4s0f1np1')?.vfs, []);
  t.is(findLink(all, 'eno1')?.mtu, 1500);
});

test('real ip -s link: the statistics rows are not VFs', (t) => {
  const stats = findLink(parseIpLink(real('ip-link/ip-s-link-show-i40e-enp2s0f0-vf-stats.txt')), 'enp2s0f0');
  t.deepEqual(stats?.vfs.map((v) => [v.vf, v.mac]), [[0, 'e2:c6:fd:c1:1e:92']]);
});

test('real ip -j link (BlueField port in OVS): master, no VFs', (t) => {
  const [p0] = parseIpLink(real('ip-link/ip-j-link-bluefield-p0-ovs.json'));
  t.like(p0, { ifname: 'p0', ifindex: 4, mtu: 9216, master: 'ovs-system', operstate: 'UP', address: 'b8:3f:d2:90:97:fa', vfs: [] });
});

test('real ip -V: snapshot dates and releases', (t) => {
  t.is(parseIprouteVersion(real('ip-V/ip-V-ss180129-ubuntu-18.04.txt')), 'ss180129');
  t.is(parseIprouteVersion(real('ip-V/ip-V-ss200127.txt')), 'ss200127');
  t.is(parseIprouteVersion(real('ip-V/ip-V-5.15.0-libbpf-0.5.0.txt')), '5.15.0');
  t.is(parseIprouteVersion(real('ip-V/ip-V-6.1.0-libbpf-1.3.0-ubuntu-24.04.txt')), '6.1.0');
});

test('real lsmod (EL7, igb/igbvf): sizes, users, holders', (t) => {
  const modules = parseLsmod(real('lsmod/lsmod-grep-igb-igbvf-el7.txt'));
  t.deepEqual(modules.map((m) => m.name), ['igbvf', 'igb', 'dca', 'i2c_algo_bit', 'ptp', 'i2c_core']);
  t.deepEqual(modules[0], { name: 'igbvf', size: 34514, usedBy: 0, holders: [] });
  t.deepEqual(modules[5], { name: 'i2c_core', size: 31084, usedBy: 3, holders: ['igb', 'i2c_algo_bit', 'i2c_i801'] });
});

test('real anaconda fstabs (CentOS 7 XFS, EFI vfat)', (t) => {
  const c7 = parseFstab(real('fstab/fstab-centos-7-anaconda-xfs.txt'));
  t.deepEqual(c7.map((e) => e.file), ['/', '/boot', '/data', 'swap']);
  t.like(findFstabEntry(c7, '/data'), { spec: 'UUID=3f0703b3-e4e1-4f8d-84c4-dfb4c6ec4dc6', vfstype: 'xfs', mntops: ['defaults'], freq: 0, passno: 0 });
  t.is(findFstabEntry(c7, '/mnt/huge'), undefined);
  const efi = parseFstab(real('fstab/fstab-anaconda-efi-vfat.txt'));
  t.deepEqual(findFstabEntry(efi, '/boot/efi')?.mntops, ['umask=0077', 'shortname=winnt']);
});

test('real lxc-info outputs: running with two IPs, without IPs, stopped, selected fields', (t) => {
  t.deepEqual(parseLxcInfo(real('lxc-info/lxc-info-box717-2ip.txt')), { name: 'box717', state: 'RUNNING', pid: 16702, ips: ['10.0.4.1', '172.17.206.27'] });
  t.deepEqual(parseLxcInfo(real('lxc-info/lxc-info-running-no-ip.txt')), { name: 'my-container', state: 'RUNNING', pid: 2388, ips: [] });
  t.deepEqual(parseLxcInfo(real('lxc-info/lxc-info-stopped.txt')), { name: 'debian-buster', state: 'STOPPED', pid: null, ips: [] });
  t.deepEqual(parseLxcInfo(real('lxc-info/lxc-info-Ssip-no-name.txt')), { name: null, state: 'RUNNING', pid: 26204, ips: [] });
});

test('real LXC 1.x/2.0 configs: legacy network blocks read per interface', (t) => {
  const three = real('lxc-config/lxc1-three-interfaces-veth-veth-phys.conf');
  t.deepEqual([0, 1, 2].map((i) => [lxcNetworkValue(three, i, 'lxc.network.type'), lxcNetworkValue(three, i, 'lxc.network.name')]), [['veth', 'eth0'], ['veth', 'virt0'], ['phys', 'eth1']]);
  t.is(lxcNetworkValue(three, 0, 'lxc.network.hwaddr'), '00:16:3e:3a:f1:c1');
  t.is(lxcNetworkValue(three, 1, 'lxc.network.hwaddr'), undefined);
  const phys = real('lxc-config/lxc1-ubuntu-phys-br1.conf');
  t.is(lxcNetworkValue(phys, 0, 'lxc.network.link'), 'eth1');
  t.is(lxcNetworkValue(phys, 0, 'lxc.network.ipv4'), '10.208.131.214/24');
  const download = parseLxcConfig(real('lxc-config/lxc2-download-debian-c2.conf'));
  t.deepEqual(download.filter((e) => e.key === 'lxc.include').map((e) => e.value), ['/usr/share/lxc/config/debian.common.conf']);
  t.is(download.find((e) => e.key === 'lxc.cgroup.memory.limit_in_bytes')?.value, '536870912');
});

test('real lxc-create --version 1.1.0: legacy keys', (t) => {
  const version = parseLxcVersion(real('lxc-version/lxc-create-version-1.1.0.txt'));
  t.deepEqual(version, { major: 1, minor: 1, patch: 0 });
  t.is(lxcKeyStyle(version), 'legacy');
});
