import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseIpLink, parseIpLinkJson, findLink, type IpLink } from '../../../../node/parse/ip-link.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real ip -j -d link: veth pair and macvlans on the PF veth', (t) => {
  const links = parseIpLinkJson(fixture('ip-j-d-link-veth-macvlan.json'));
  t.deepEqual(links.map((l) => [l.ifname, l.linkKind, l.link]), [
    ['lo', null, null],
    ['peer0', 'veth', 'pf0'],
    ['pf0', 'veth', 'peer0'],
    ['vf0', 'macvlan', 'pf0'],
    ['vf1', 'macvlan', 'pf0'],
  ]);
  t.like(findLink(links, 'vf0'), { ifindex: 4, address: '02:00:00:00:0a:10', operstate: 'UP', mtu: 1500, vfs: [], master: null });
  t.deepEqual(findLink(links, 'vf0')?.flags, ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']);
  t.is(findLink(links, 'vf1')?.operstate, 'DOWN');
});

test('real ip -j link without -d: no link kinds, the rest the same', (t) => {
  const plain = parseIpLinkJson(fixture('ip-j-link-veth-macvlan.json'));
  const detailed = parseIpLinkJson(fixture('ip-j-d-link-veth-macvlan.json'));
  t.true(plain.every((l) => l.linkKind === null));
  t.deepEqual(plain.map((l) => [l.ifname, l.address, l.link]), detailed.map((l) => [l.ifname, l.address, l.link]));
});

test('real: a peer in another namespace and a bridge port', (t) => {
  const links = parseIpLinkJson(fixture('ip-j-d-link-netns-bridge.json'));
  t.like(findLink(links, 'pf0'), { link: null, linkNetnsId: 0, linkKind: 'veth', operstate: 'LOWERLAYERDOWN' });
  t.like(findLink(links, 'tap0'), { master: 'br0', link: 'tap0p' });
  t.is(findLink(links, 'br0')?.linkKind, 'bridge');
});

test('a PF with VFs: vfinfo_list in the format of iproute2 print_vfinfo', (t) => {
  const links = parseIpLinkJson(fixture('ip-j-link-pf-vfinfo.json'));
  const pf = findLink(links, 'enp4s0f0');
  t.is(pf?.vfs.length, 8);
  t.deepEqual(pf?.vfs[0], { vf: 0, mac: 'd6:d6:d6:54:f9:f8', vlan: 0, qos: 0, maxTxRate: 0, spoofchk: true, trust: false, linkState: 'auto' });
  t.is(pf?.vfs[7]?.vlan, 10);
  t.is(findLink(links, 'enp4s0f1')?.vfs[3]?.mac, '3e:72:0d:07:2b:e9');
  t.deepEqual(findLink(links, 'enp4s16')?.vfs, []);
});

test('older iproute2 VF entries ("mac", vlan at top level) and missing fields', (t) => {
  const old = '[{"ifname":"eth2","vfinfo_list":[{"vf":1,"mac":"AA:BB:CC:00:11:22","vlan":5,"spoofchk":false}]}]';
  t.deepEqual(parseIpLinkJson(old)[0], {
    ifname: 'eth2', ifindex: null, address: null, operstate: null, flags: [], mtu: null, linkKind: null,
    master: null, link: null, linkNetnsId: null, parentDev: null,
    vfs: [{ vf: 1, mac: 'aa:bb:cc:00:11:22', vlan: 5, qos: 0, maxTxRate: null, spoofchk: false, trust: null, linkState: null }], addresses: [],
  });
  t.deepEqual(parseIpLinkJson('[]'), []);
});

test('clear errors for text that is not ip -j output', (t) => {
  t.throws(() => parseIpLinkJson(fixture('ip-link-missing-device.txt')), { message: /not JSON: Device "nosuch" does not exist/ });
  t.throws(() => parseIpLinkJson('{"ifname":"x"}'), { message: /not a list of links/ });
  t.throws(() => parseIpLinkJson('[{"ifindex":3}]'), { message: /without ifname/ });
  t.throws(() => parseIpLinkJson('[{"ifname":"p","vfinfo_list":[{"vf":0}]}]'), { message: /VF entry of p without vf number or MAC/ });
});

// --- text: iproute 3.10 / 4.11 (CentOS 7, no -j) and 6.1 ----------------------------------------

test('text, old VF lines (iproute2 < 5.3: "vf N MAC ..."), with trust and query_rss', (t) => {
  const links = parseIpLink(fixture('ip-link-vfs-mac-style-trust.txt'));
  t.deepEqual(links.map((l) => l.ifname), ['lo', 'enp3s0f0']);
  const pf = findLink(links, 'enp3s0f0');
  t.like(pf, { ifindex: 2, address: 'a0:36:9f:20:10:c8', operstate: 'UP', mtu: 1500, link: null });
  t.is(pf?.vfs.length, 8);
  t.deepEqual(pf?.vfs[7], { vf: 7, mac: '00:00:00:00:00:00', vlan: 0, qos: 0, maxTxRate: 0, spoofchk: true, trust: false, linkState: 'auto' });
});

test('text, old VF lines without trust, a VLAN on one VF, portid in the header', (t) => {
  const pf = findLink(parseIpLink(fixture('ip-link-vfs-mac-style-vlan.txt')), 'enp95s0f1');
  t.like(pf, { ifindex: 9, operstate: 'UP', address: '3c:fd:fe:c2:6d:b1' });
  t.deepEqual(pf?.vfs.map((v) => v.vlan), [0, 0, 0, 0, 2002, 0]);
  t.deepEqual(pf?.vfs[4], { vf: 4, mac: '00:00:00:00:00:00', vlan: 2002, qos: 0, maxTxRate: 0, spoofchk: true, trust: null, linkState: 'auto' });
});

test('text, new VF lines (iproute2 >= 5.3: "vf N     link/ether ... brd ...")', (t) => {
  const pf = findLink(parseIpLink(fixture('ip-link-vfs-link-ether-style.txt')), 'enp1s0f0');
  t.is(pf?.vfs.length, 7);
  t.deepEqual(pf?.vfs[0], { vf: 0, mac: 'ae:91:f5:91:c3:7c', vlan: 0, qos: 0, maxTxRate: 0, spoofchk: false, trust: false, linkState: 'auto' });
  t.is(pf?.vfs[1]?.spoofchk, true);
});

test('the same VF table from JSON and from text gives the same links', (t) => {
  const json = findLink(parseIpLink(fixture('ip-j-link-pf-vfinfo.json')), 'enp4s0f0');
  const vfs = json?.vfs ?? [];
  const mac = (v: (typeof vfs)[number]) => `    vf ${v.vf} MAC ${v.mac}${v.vlan ? `, vlan ${v.vlan}` : ''}, spoof checking ${v.spoofchk ? 'on' : 'off'}, link-state ${v.linkState}, trust ${v.trust ? 'on' : 'off'}, query_rss off`;
  const text = [`2: enp4s0f0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000`, `    link/ether ${json?.address} brd ff:ff:ff:ff:ff:ff`, ...vfs.map(mac)].join('\n');
  t.deepEqual(findLink(parseIpLink(text), 'enp4s0f0')?.vfs, vfs);
});

test('text ip addr of CentOS 7 (iproute 3.10): addresses, trailing spaces, no "group" or "mode"', (t) => {
  const links = parseIpLink(fixture('ip-addr-centos7-iproute-3.10.txt'));
  t.like(findLink(links, 'eth0'), { ifindex: 2, address: '00:0c:29:6f:9a:fa', operstate: 'UP', mtu: 1500 });
  t.deepEqual(findLink(links, 'eth0')?.addresses, [
    { family: 'inet', local: '192.168.64.145', prefixlen: 24 },
    { family: 'inet6', local: 'fe80::20c:29ff:fe6f:9afa', prefixlen: 64 },
  ]);
  t.deepEqual(findLink(links, 'lo')?.addresses.map((a) => `${a.local}/${a.prefixlen}`), ['127.0.0.1/8', '::1/128']);
});

test('text and JSON of the same namespace (iproute2 6.1) agree: links, lower devices, addresses', (t) => {
  const text = parseIpLink(fixture('ip-addr-iproute2-6.1.txt'));
  const json = parseIpLink(fixture('ip-j-addr-iproute2-6.1.json'));
  const view = (l: IpLink) => [l.ifname, l.ifindex, l.address, l.operstate, l.mtu, l.link, l.flags, l.addresses];
  t.deepEqual(text.map(view), json.map(view));
  t.deepEqual(findLink(text, 'vf0')?.addresses, [
    { family: 'inet', local: '192.0.2.10', prefixlen: 24 },
    { family: 'inet6', local: 'fe80::b08b:c2ff:fe5b:a94', prefixlen: 64 },
  ]);
});

test('text ip -d link (iproute2 6.1): the kind on the line after link/ether', (t) => {
  const links = parseIpLink(fixture('ip-d-link-iproute2-6.1.txt'));
  t.deepEqual(links.map((l) => [l.ifname, l.linkKind, l.link]), [
    ['lo', null, null],
    ['peer0', 'veth', 'pf0'],
    ['pf0', 'veth', 'peer0'],
    ['vf0', 'macvlan', 'pf0'],
  ]);
  t.true(parseIpLink(fixture('ip-link-iproute2-6.1.txt')).every((l) => l.linkKind === null));
});

test('text: a line that is not ip link output is refused, empty output is no links', (t) => {
  t.deepEqual(parseIpLink(''), []);
  t.throws(() => parseIpLink('Device "nosuch" does not exist.'), { message: /unexpected line in ip link output/ });
});
