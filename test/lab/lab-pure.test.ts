// The lab's pure parts, on outputs captured from lab nodes on this machine (test/fixtures/lab/):
// grub.cfg written by update-grub / grub2-mkconfig, grubenv written by grub-reboot /
// grub2-reboot (the debian12 one after GRUB_CMDLINE_LINUX got intel_iommu=on iommu=pt
// ixgbe.max_vfs=4,4), raw `ip` output of a node (veth PFs, macvlan VFs), the host's /proc/cpuinfo.
import { NIC_MODELS, nicFacts, parseNicTable } from '../../lab/nics.ts';
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLabArgs, LabUsageError } from '../../lab/cli-args.ts';
import { nodeCpuinfo } from '../../lab/cpuinfo.ts';
import { chooseBoot, cmdlineParams, panicSeconds, type BootInputs } from '../../lab/firmware.ts';
import { grubWords, parseGrubConfig, parseGrubEnv, resolveEntry, setGrubEnvVar, GRUBENV_SIZE } from '../../lab/grub.ts';
import { labLayout, nodeLayout } from '../../lab/layout.ts';
import { lineRateBits, subnetRouted } from '../../lab/network.ts';
import { detailsAs411, rewriteJson, rewriteText, type PfView, type VfInfo } from '../../lab/node/ip-output.ts';
import { findLink, parseIpLink } from '../../node/parse/ip-link.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/lab/${name}`, import.meta.url), 'utf8');
const debianCfg = fixture('grub-debian12.cfg');
const centosCfg = fixture('grub-centos7.cfg');

test('lab: grub.cfg of update-grub: entries, submenu, ids, linux lines, default', (t) => {
  const cfg = parseGrubConfig(debianCfg);
  t.is(cfg.defaultExpr, '0');
  t.true(cfg.honoursNextEntry);
  t.deepEqual(
    cfg.menu.map((n) => [n.kind, n.title]),
    [
      ['entry', 'Debian GNU/Linux'],
      ['submenu', 'Advanced options for Debian GNU/Linux'],
    ],
  );
  const first = cfg.menu[0];
  t.true(first?.kind === 'entry' && first.linux?.image === '/boot/vmlinuz-6.18.44-fc-v595');
  t.regex(first?.id ?? '', /^gnulinux-simple-/);
  const recovery = resolveEntry(cfg.menu, '1>1');
  t.is(recovery?.linux?.args, 'root=/dev/vda1 ro single intel_iommu=on iommu=pt ixgbe.max_vfs=4,4');
});

test('lab: grub.cfg of grub2-mkconfig (centos7): saved default, /boot partition paths', (t) => {
  const cfg = parseGrubConfig(centosCfg);
  t.is(cfg.defaultExpr, '${saved_entry}');
  t.is(cfg.menu.length, 1);
  const entry = resolveEntry(cfg.menu, '0');
  t.is(entry?.linux?.image, '/vmlinuz-6.18.44-fc-v595');
  t.true(entry?.linux?.args.includes('crashkernel=auto'));
});

test('lab: an entry is found by index path, id or title; unknown falls back to the first', (t) => {
  const menu = parseGrubConfig(debianCfg).menu;
  const recoveryTitle = 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.18.44-fc-v595 (recovery mode)';
  t.is(resolveEntry(menu, recoveryTitle)?.linux?.args, 'root=/dev/vda1 ro single intel_iommu=on iommu=pt ixgbe.max_vfs=4,4');
  const id = menu[0]?.id ?? '';
  t.is(resolveEntry(menu, id)?.title, 'Debian GNU/Linux');
  t.is(resolveEntry(menu, 'no such entry')?.title, 'Debian GNU/Linux');
});

test('lab: GRUB words: quotes and escapes', (t) => {
  t.deepEqual(grubWords(`menuentry 'A b' --class x "c\\"d" e\\ f`), ['menuentry', 'A b', '--class', 'x', 'c"d', 'e f']);
});

test('lab: grubenv: variables read, one set in place, block stays 1024 bytes', (t) => {
  const text = fixture('grubenv-centos7-next-entry');
  const env = parseGrubEnv(text);
  t.is(env.get('next_entry'), 'CentOS Linux GNU/Linux, with Linux 6.18.44-fc-v595');
  t.is(env.get('saved_entry'), '0');
  const consumed = setGrubEnvVar(text, 'next_entry', '');
  t.is(Buffer.byteLength(consumed), GRUBENV_SIZE);
  t.true(consumed.startsWith('# GRUB Environment Block\n# WARNING'));
  t.is(parseGrubEnv(consumed).get('next_entry'), '');
  t.is(parseGrubEnv(consumed).get('saved_entry'), '0');
});

const boot = (over: Partial<BootInputs>): BootInputs => ({
  grubCfg: debianCfg,
  grubEnv: undefined,
  lastCmdline: undefined,
  lastGoodCmdline: undefined,
  grubIgnored: false,
  badCmdline: false,
  retry: false,
  ...over,
});

test('lab: firmware boots the default entry with BOOT_IMAGE first', (t) => {
  const choice = chooseBoot(boot({}));
  t.is(choice.cmdline, 'BOOT_IMAGE=/boot/vmlinuz-6.18.44-fc-v595 root=/dev/vda1 ro intel_iommu=on iommu=pt ixgbe.max_vfs=4,4 quiet');
  t.is(choice.grubEnv, undefined);
  t.false(choice.panics);
});

test('lab: firmware boots a one-shot next_entry once and consumes it', (t) => {
  const grubEnv = fixture('grubenv-debian12-next-entry');
  const first = chooseBoot(boot({ grubEnv }));
  t.is(first.cmdline, 'BOOT_IMAGE=/boot/vmlinuz-6.18.44-fc-v595 root=/dev/vda1 ro single intel_iommu=on iommu=pt ixgbe.max_vfs=4,4');
  t.is(parseGrubEnv(first.grubEnv ?? '').get('next_entry'), '');
  const second = chooseBoot(boot({ grubEnv: first.grubEnv }));
  t.is(second.cmdline, 'BOOT_IMAGE=/boot/vmlinuz-6.18.44-fc-v595 root=/dev/vda1 ro intel_iommu=on iommu=pt ixgbe.max_vfs=4,4 quiet');
});

test('lab: firmware puts back the saved_entry grub-reboot kept as prev_saved_entry and clears it, as GRUB 2.06\'s 00_header does', (t) => {
  // grub2-reboot (EL): prev_saved_entry=<saved_entry>, next_entry=<entry>.
  let grubEnv = setGrubEnvVar('', 'saved_entry', 'default-id');
  grubEnv = setGrubEnvVar(setGrubEnvVar(grubEnv, 'prev_saved_entry', 'default-id'), 'next_entry', 'gnulinux-simple-3d81a16b');
  const env = parseGrubEnv(chooseBoot(boot({ grubEnv })).grubEnv ?? '');
  t.is(env.get('saved_entry'), 'default-id');
  t.is(env.get('prev_saved_entry'), '');
  t.is(env.get('next_entry'), '');
});

test('lab: firmware follows saved_entry when the default is saved (centos7)', (t) => {
  const grubEnv = setGrubEnvVar('', 'saved_entry', 'CentOS Linux GNU/Linux, with Linux 6.18.44-fc-v595');
  t.regex(chooseBoot(boot({ grubCfg: centosCfg, grubEnv })).cmdline, /^BOOT_IMAGE=\/vmlinuz-6\.18\.44-fc-v595 root=\/dev\/vda1 ro crashkernel=auto/);
});

test('lab: fault grub-ignored boots the previous cmdline', (t) => {
  const choice = chooseBoot(boot({ grubIgnored: true, lastCmdline: 'BOOT_IMAGE=/old ro' }));
  t.is(choice.cmdline, 'BOOT_IMAGE=/old ro');
});

test('lab: fault bad-cmdline panics on new params, then falls back to the last good cmdline', (t) => {
  const good = 'BOOT_IMAGE=/boot/vmlinuz-6.18.44-fc-v595 root=/dev/vda1 ro';
  const first = chooseBoot(boot({ badCmdline: true, lastGoodCmdline: good }));
  t.true(first.panics);
  t.is(first.panicSeconds, 2);
  const retry = chooseBoot(boot({ badCmdline: true, lastGoodCmdline: good, retry: true }));
  t.false(retry.panics);
  t.is(retry.cmdline, good);
  t.false(chooseBoot(boot({ badCmdline: true, lastGoodCmdline: first.cmdline })).panics);
});

test('lab: cmdline params compare without BOOT_IMAGE and order; panic=N', (t) => {
  t.deepEqual(cmdlineParams('BOOT_IMAGE=/a ro  quiet'), ['quiet', 'ro']);
  t.is(panicSeconds('ro panic=10'), 10);
  t.is(panicSeconds('ro'), 2);
});

test('lab: cpuinfo of a node: Intel, vmx unless VT is disabled, no hypervisor flag', (t) => {
  const host = fixture('host-cpuinfo.txt');
  const on = nodeCpuinfo(host, true);
  const off = nodeCpuinfo(host, false);
  const flags = (text: string): string[] => (/^flags\s*:(.*)$/m.exec(text)?.[1] ?? '').trim().split(' ');
  t.true(flags(on).includes('vmx'));
  t.false(flags(off).includes('vmx'));
  t.false(flags(on).includes('hypervisor'));
  t.regex(on, /^vendor_id\s*: GenuineIntel$/m);
  t.is(on.split('\n').length, host.split('\n').length);
});

const vf = (n: number, mac: string): VfInfo => ({
  vf: n, mac, vlan: 0, qos: 0, maxTxRate: 0, minTxRate: 0, spoofchk: true, trust: false, queryRss: false, linkState: 'auto',
});
const view: PfView = new Map([
  ['enp4s0f0', [vf(0, '02:09:c0:02:00:00'), vf(1, 'd6:d6:d6:54:f9:f8')]],
  ['enp4s0f1', []],
]);

test('lab: ip -j link show: vfinfo_list on the PFs, no veth/macvlan traces', (t) => {
  const links = JSON.parse(rewriteJson(fixture('ip-j-link-show.raw.json'), view)) as Record<string, unknown>[];
  const pf = links.find((l) => l.ifname === 'enp4s0f0');
  t.deepEqual(pf?.vfinfo_list, [
    { vf: 0, link_type: 'ether', address: '02:09:c0:02:00:00', broadcast: 'ff:ff:ff:ff:ff:ff', vlan_list: [{}], rate: { max_tx: 0, min_tx: 0 }, spoofchk: true, link_state: 'auto', trust: false, query_rss_en: false },
    { vf: 1, link_type: 'ether', address: 'd6:d6:d6:54:f9:f8', broadcast: 'ff:ff:ff:ff:ff:ff', vlan_list: [{}], rate: { max_tx: 0, min_tx: 0 }, spoofchk: true, link_state: 'auto', trust: false, query_rss_en: false },
  ]);
  t.deepEqual(links.find((l) => l.ifname === 'enp4s0f1')?.vfinfo_list, []);
  for (const l of links.filter((x) => String(x.ifname).startsWith('enp4s'))) {
    t.false('link_netnsid' in l || 'link' in l || 'link_index' in l, String(l.ifname));
  }
  const details = JSON.parse(rewriteJson(fixture('ip-j-d-link-show-pf.raw.json'), view)) as Record<string, unknown>[];
  t.false('linkinfo' in (details[0] ?? {}));
  t.true(rewriteJson(fixture('ip-j-p-link-show-pf.raw.json'), view).includes('\n    {\n'));
});

test('lab: ip link show (text, -d, -br, -o): vf lines under the PF, names without @', (t) => {
  const text = rewriteText(fixture('ip-link-show.raw.txt'), view);
  t.regex(text, /^2: enp4s0f0: <BROADCAST/m);
  t.regex(text, /\n {4}link\/ether 90:e2:ba:04:02:00 brd ff:ff:ff:ff:ff:ff\n {4}vf 0 {5}link\/ether 02:09:c0:02:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, trust off, query_rss off\n {4}vf 1 /);
  t.regex(text, /^\d+: enp4s16f2: /m);
  t.notRegex(text, /@|link-netnsid/);
  const details = rewriteText(fixture('ip-d-link-show.raw.txt'), view);
  t.notRegex(details, /^\s+(veth|macvlan) /m);
  t.notRegex(details, /\n\n/);
  const brief = rewriteText(fixture('ip-br-link-show.raw.txt'), view);
  t.regex(brief, /^enp4s16f2 {8}DOWN/m);
  t.notRegex(brief, /@/);
  t.notRegex(rewriteText(fixture('ip-link-show.raw.txt'), view, false), /vf 0/);
  const oneline = rewriteText(fixture('ip-o-d-link-show.raw.txt'), view).split('\n');
  t.is(oneline.length, fixture('ip-o-d-link-show.raw.txt').trim().split('\n').length);
  const pf = oneline.find((l) => l.startsWith('2: '));
  // a physical NIC's details continue its link/ether segment: no kind segment
  t.regex(pf ?? '', /^2: enp4s0f0: <[^\\]*\\ {4}link\/ether 90:e2:ba:\S+ brd \S+ promiscuity \d+ [^\\]*addrgenmode eui64 [^\\]*\\ {4}vf 0 {5}link\/ether 02:09:c0:02:00:00 .*\\ {4}vf 1 /);
  t.notRegex(pf ?? '', /link-netnsid|veth/);
  t.regex(oneline.find((l) => l.includes('enp4s16:')) ?? '', /^[^\\]*\\ {4}link\/ether [^\\]*addrgenmode/);
  t.notRegex(oneline.join('\n'), /@|macvlan/);
});

test('lab: iproute 4.11 text (centos7): vf N MAC lines, -d without the fields 4.12+ added', (t) => {
  const text = rewriteText(fixture('ip-link-show.raw.txt'), view, true, '4.11');
  // ip/ipaddress.c print_vfinfo at v4.11.0
  t.regex(text, /\n {4}link\/ether 90:e2:ba:04:02:00 brd ff:ff:ff:ff:ff:ff\n {4}vf 0 MAC 02:09:c0:02:00:00, spoof checking on, link-state auto, trust off, query_rss off\n {4}vf 1 MAC d6:d6:d6:54:f9:f8, /);
  t.notRegex(text, /vf \d+ +link\/ether/);
  const details = rewriteText(fixture('ip-d-link-show.raw.txt'), view, true, '4.11');
  t.notRegex(details, /allmulti|minmtu|maxmtu|tso_max|gro_max|parentbus/);
  t.regex(details, /^ {4}link\/ether 90:e2:ba:04:02:00 brd ff:ff:ff:ff:ff:ff promiscuity \d+ addrgenmode eui64 numtxqueues \d+ numrxqueues \d+ gso_max_size \d+ gso_max_segs \d+ $/m);
  t.is(detailsAs411('    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 '),
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 ');
  // what the tool's parser reads from it: the same VFs as from 6.1's JSON
  t.deepEqual(findLink(parseIpLink(text), 'enp4s0f0')?.vfs.map((v) => [v.vf, v.mac]), [[0, '02:09:c0:02:00:00'], [1, 'd6:d6:d6:54:f9:f8']]);
});

test('lab: layout: names and addresses derive from the slot', (t) => {
  const lab = labLayout(7);
  t.is(lab.peerAddress, '10.213.7.2');
  const node = nodeLayout(lab, 3, '/tmp/x');
  t.is(node.netns, 'sl7-node3');
  t.is(node.address, '10.213.7.13');
  t.deepEqual(node.pfMacs, ['90:e2:ba:07:03:00', '90:e2:ba:07:03:01']);
  t.deepEqual(node.containers.map((c) => [c.name, c.pf, c.address]), [
    ['c1', 'enp4s0f0', '10.213.7.105/24'],
    ['c2', 'enp4s0f1', '10.213.7.106/24'],
  ]);
  t.throws(() => nodeLayout(lab, 33, '/tmp/x'), { message: /1\.\.32/ });
});

test('lab: a slot is skipped when a route covers its subnet', (t) => {
  const routes = ['default via 192.0.2.1 dev eth0', '192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2', '10.213.3.0/24 dev x', '10.213.0.0/16 via 1.2.3.4'];
  t.true(subnetRouted(routes.slice(0, 3), 3));
  t.false(subnetRouted(routes.slice(0, 3), 4));
  t.true(subnetRouted(routes, 9));
});

test('lab: command line', (t) => {
  t.deepEqual(parseLabArgs(['up', '--nodes', '2', '--flavour', 'debian12']), { cmd: 'up', nodes: 2, flavour: 'debian12', firmware: 'bios', nic: '82599', install: true });
  t.deepEqual(parseLabArgs(['up', '--nic', 'cx5']), { cmd: 'up', nodes: 1, flavour: 'centos7', firmware: 'bios', nic: 'cx5', install: true });
  t.throws(() => parseLabArgs(['up', '--nic', 'bcm57810']), { instanceOf: LabUsageError, message: /--nic bcm57810: choose one of 82599, x710, e810, cx5/ });
  t.deepEqual(parseLabArgs(['up', '--flavour', 'alma9', '--firmware', 'uefi']), { cmd: 'up', nodes: 1, flavour: 'alma9', firmware: 'uefi', nic: '82599', install: true });
  t.throws(() => parseLabArgs(['up', '--firmware', 'coreboot']), { instanceOf: LabUsageError, message: /--firmware coreboot: choose one of bios, uefi/ });
  t.deepEqual(parseLabArgs(['ssh', 'node1', '--dir', '/d', '--', 'uname', '-r']), { cmd: 'ssh', dir: '/d', node: 'node1', command: ['uname', '-r'] });
  t.deepEqual(parseLabArgs(['fault', 'node2', 'ssh-drops', 'on', '2']), { cmd: 'fault', node: 'node2', fault: 'ssh-drops', on: true, arg: 2 });
  t.deepEqual(parseLabArgs(['reboot', 'node1', '--no-wait']), { cmd: 'reboot', node: 'node1', wait: false });
  t.throws(() => parseLabArgs(['up', '--nodes', '40']), { instanceOf: LabUsageError, message: /1 to 32/ });
  t.throws(() => parseLabArgs(['up', '--flavour', 'rhel9']), { instanceOf: LabUsageError, message: /centos7, debian12, alma8, alma9, ubuntu2404/ });
  t.throws(() => parseLabArgs(['fault', 'node1', 'melted', 'on']), { instanceOf: LabUsageError, message: /unknown fault melted/ });
  t.throws(() => parseLabArgs(['ssh', 'node1']), { instanceOf: LabUsageError, message: /needs a command after --/ });
  t.deepEqual(parseLabArgs(['up', '--no-install']), { cmd: 'up', nodes: 1, flavour: 'centos7', firmware: 'bios', nic: '82599', install: false });
  t.deepEqual(parseLabArgs(['setup', '--tests', '--no-install']), { cmd: 'setup', scope: 'tests', install: false });
  t.deepEqual(parseLabArgs([]), { cmd: 'help' });
});

test('lab: NIC models: every model of nics.conf has every key the shims read', (t) => {
  const keys = Object.keys(nicFacts('82599')).sort();
  t.deepEqual([...NIC_MODELS], ['82599', 'x710', 'e810', 'cx5']);
  for (const m of NIC_MODELS) {
    const missing = keys.filter((k) => !(k in nicFacts(m)) && !k.startsWith('fw_'));
    t.deepEqual(missing, [], `${m} lacks ${missing.join(', ')}`);
  }
  t.like(nicFacts('cx5'), { pf_driver: 'mlx5_core', vf_driver: 'mlx5_core', firmware: 'mstconfig', totalvfs: 'firmware' });
  t.like(nicFacts('x710'), { pf_device: '1572', vf_device: '154c', pf_driver: 'i40e', vf_driver: 'iavf', pf_parm: '' });
  t.is(parseNicTable('# c\n[a]\nk=v=w\n').get('a')?.k, 'v=w');
});

test('lab: line rates: every NIC model has one, read as tc reads it (82599 and X710 10 GbE ports, E810 and ConnectX-5 100 GbE)', (t) => {
  t.deepEqual(Object.fromEntries(NIC_MODELS.map((m) => [m, lineRateBits(nicFacts(m).line_rate ?? '')])), { '82599': 10e9, x710: 10e9, e810: 100e9, cx5: 100e9 });
  t.is(lineRateBits('500mbit'), 500e6);
  t.throws(() => lineRateBits('10G'), { message: /line_rate 10G: expected a number and gbit, mbit, kbit or bit/ });
});
