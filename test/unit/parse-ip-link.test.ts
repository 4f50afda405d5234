import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseIpLinkJson, findLink } from '../../tasks/parse/ip-link.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/parse/${name}`, import.meta.url), 'utf8');

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
    vfs: [{ vf: 1, mac: 'aa:bb:cc:00:11:22', vlan: 5, qos: 0, maxTxRate: null, spoofchk: false, trust: null, linkState: null }],
  });
  t.deepEqual(parseIpLinkJson('[]'), []);
});

test('clear errors for text that is not ip -j output', (t) => {
  t.throws(() => parseIpLinkJson(fixture('ip-link-missing-device.txt')), { message: /not JSON: Device "nosuch" does not exist/ });
  t.throws(() => parseIpLinkJson('{"ifname":"x"}'), { message: /not a list of links/ });
  t.throws(() => parseIpLinkJson('[{"ifindex":3}]'), { message: /without ifname/ });
  t.throws(() => parseIpLinkJson('[{"ifname":"p","vfinfo_list":[{"vf":0}]}]'), { message: /VF entry of p without vf number or MAC/ });
});
