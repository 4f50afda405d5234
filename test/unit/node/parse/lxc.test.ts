import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLxcInfo } from '../../../../node/parse/lxc-info.ts';
import { parseLxcVersion, lxcKeyStyle, lxcConfigKey } from '../../../../node/parse/lxc-version.ts';
import { lxcNetworkValue, parseLxcConfig, setLegacyFirstNetwork, setLxcKeys } from '../../../../node/parse/lxc-config.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real lxc-info of a running busybox container with lxc.net.0.type = empty', (t) => {
  t.deepEqual(parseLxcInfo(fixture('lxc-info-running-empty-net.txt')), { name: 'parsecap1', state: 'RUNNING', pid: 9809, ips: [] });
});

test('real lxc-info with a veth and two addresses (Link/TX lines ignored)', (t) => {
  t.deepEqual(parseLxcInfo(fixture('lxc-info-running-veth.txt')), {
    name: 'parsecap1',
    state: 'RUNNING',
    pid: 9930,
    ips: ['192.0.2.10', '2001:db8::10'],
  });
});

test('real lxc-info of a stopped container and of selected fields', (t) => {
  t.deepEqual(parseLxcInfo(fixture('lxc-info-stopped.txt')), { name: 'parsecap1', state: 'STOPPED', pid: null, ips: [] });
  t.deepEqual(parseLxcInfo(fixture('lxc-info-s-p-i.txt')), { name: null, state: 'RUNNING', pid: 9809, ips: [] });
});

test('LXC 1.0 lxc-info -s prints the state alone (CentOS 7, EPEL lxc 1.0.11)', (t) => {
  t.deepEqual(parseLxcInfo(fixture('lxc1-info-s.txt')), { name: null, state: 'RUNNING', pid: null, ips: [] });
  t.throws(() => parseLxcInfo('parsecap1\n'), { message: /printed no state/ }, 'a lone word that is no LXC state is still refused');
});

test('real lxc-info for a missing container is refused with a hint', (t) => {
  const error = t.throws(() => parseLxcInfo(fixture('lxc-info-missing.txt')), { message: /printed no state: parsecap-missing doesn't exist/ });
  t.regex((error as { hint?: string }).hint ?? '', /lxc-ls/);
});

test('versions: the real 5.0.2, distribution suffixes, and the 2.1 key boundary', (t) => {
  const here = parseLxcVersion(fixture('lxc-version-5.0.2.txt'));
  t.deepEqual(here, { major: 5, minor: 0, patch: 2 });
  t.is(lxcKeyStyle(here), 'modern');
  t.deepEqual(parseLxcVersion('5.0.0~git2209-g5a7b9ce67\n'), { major: 5, minor: 0, patch: 0 });
  t.is(lxcKeyStyle(parseLxcVersion('1.0.11')), 'legacy');
  t.is(lxcKeyStyle(parseLxcVersion('2.0.11')), 'legacy');
  t.is(lxcKeyStyle(parseLxcVersion('2.1')), 'modern');
  t.is(lxcKeyStyle(parseLxcVersion('3.0.3')), 'modern');
  t.throws(() => parseLxcVersion('lxc-info: command not found'), { message: /not an LXC version/ });
});

test('key names for legacy LXC', (t) => {
  t.is(lxcConfigKey('legacy', 'lxc.net.0.type'), 'lxc.network.type');
  t.is(lxcConfigKey('legacy', 'lxc.net.0.ipv4.address'), 'lxc.network.ipv4');
  t.is(lxcConfigKey('legacy', 'lxc.net.0.ipv4.gateway'), 'lxc.network.ipv4.gateway');
  t.is(lxcConfigKey('legacy', 'lxc.uts.name'), 'lxc.utsname');
  t.is(lxcConfigKey('legacy', 'lxc.rootfs.path'), 'lxc.rootfs');
  t.is(lxcConfigKey('legacy', 'lxc.cgroup.devices.allow'), 'lxc.cgroup.devices.allow');
  t.is(lxcConfigKey('modern', 'lxc.net.1.type'), 'lxc.net.1.type');
  t.throws(() => lxcConfigKey('legacy', 'lxc.net.1.type'), { message: /no equivalent in LXC before 2.1/ });
});

test('real config written by lxc-create -t busybox (LXC 5.0.2): quotes stripped like LXC does', (t) => {
  const entries = parseLxcConfig(fixture('lxc-config-busybox-5.0.2.txt'));
  t.deepEqual(entries.slice(0, 3).map((e) => [e.key, e.value]), [
    ['lxc.net.0.type', 'veth'],
    ['lxc.net.0.link', 'lxcbr0'],
    ['lxc.net.0.flags', 'up'],
  ]);
  t.is(entries.find((e) => e.key === 'lxc.uts.name')?.value, 'parsecap1');
  t.is(entries.filter((e) => e.key === 'lxc.mount.entry').length, 7);
  t.is(entries.find((e) => e.key === 'lxc.rootfs.path')?.line, 14);
  t.throws(() => parseLxcConfig('lxc.arch x86_64\n'), { message: /invalid LXC config line 1/ });
});

const vfNet = [
  { key: 'lxc.net.0.type', value: 'phys' },
  { key: 'lxc.net.0.link', value: 'enp4s16' },
  { key: 'lxc.net.0.flags', value: 'up' },
  { key: 'lxc.net.0.hwaddr', value: '02:1a:2b:00:00:01' },
];

test('switching the busybox config to a VF: replace in place, drop stale net keys, keep comments', (t) => {
  const before = fixture('lxc-config-busybox-5.0.2.txt').replace('lxc.net.0.link = lxcbr0\n', 'lxc.net.0.link = lxcbr0\nlxc.net.0.veth.pair = old0\n');
  const { text, changed } = setLxcKeys(before, vfNet, /^lxc\.net\.0\./);
  t.true(changed);
  const lines = text.split('\n');
  t.deepEqual(lines.slice(7, 12), ['', 'lxc.net.0.type = phys', 'lxc.net.0.link = enp4s16', 'lxc.net.0.flags = up', 'lxc.apparmor.profile = generated']);
  t.is(lines.at(-2), 'lxc.net.0.hwaddr = 02:1a:2b:00:00:01');
  t.false(text.includes('veth.pair'));
  t.true(text.startsWith('# Template used to create this container: /usr/share/lxc/templates/lxc-busybox\n'));
  t.deepEqual(setLxcKeys(text, vfNet, /^lxc\.net\.0\./), { text, changed: false });
});

test('repeated keys: exactly the wanted lines, in order, next to the existing ones', (t) => {
  const base = 'lxc.autodev = 1\nlxc.cgroup.devices.allow = b 8:* rwm\n# keep me\nlxc.arch = x86_64\n';
  const devices = [
    { key: 'lxc.cgroup.devices.allow', value: 'b 8:* rwm' },
    { key: 'lxc.cgroup.devices.allow', value: 'b 259:* rwm' },
  ];
  const { text } = setLxcKeys(base, devices);
  t.is(text, 'lxc.autodev = 1\nlxc.cgroup.devices.allow = b 8:* rwm\nlxc.cgroup.devices.allow = b 259:* rwm\n# keep me\nlxc.arch = x86_64\n');
  t.false(setLxcKeys(text, devices).changed);
  t.is(setLxcKeys(text, devices.slice(1)).text, 'lxc.autodev = 1\nlxc.cgroup.devices.allow = b 259:* rwm\n# keep me\nlxc.arch = x86_64\n');
});

test("legacy config of the paper's CentOS container, edited with legacy key names", (t) => {
  const before = fixture('lxc-config-centos-lxc1.txt');
  const entries = vfNet.map(({ key, value }) => ({ key: lxcConfigKey('legacy', key), value }));
  const { text } = setLxcKeys(before, entries, /^lxc\.network\./);
  t.deepEqual(parseLxcConfig(text).slice(0, 5).map((e) => `${e.key}=${e.value}`), [
    'lxc.network.type=phys',
    'lxc.network.flags=up',
    'lxc.network.link=enp4s16',
    'lxc.network.hwaddr=02:1a:2b:00:00:01',
    'lxc.rootfs=/var/lib/lxc/centos1/rootfs',
  ]);
  t.true(text.includes('# Include common configuration\n'));
});

test('appends to a file without final newline and to an empty file', (t) => {
  t.is(setLxcKeys('lxc.arch = x86_64', [{ key: 'lxc.start.auto', value: '1' }]).text, 'lxc.arch = x86_64\nlxc.start.auto = 1\n');
  t.is(setLxcKeys('', [{ key: 'lxc.start.auto', value: '1' }]).text, 'lxc.start.auto = 1\n');
});

test('LXC 1.x: each lxc.network.type starts the next interface, the first block is interface 0', (t) => {
  const text = fixture('lxc-config-lxc1-two-networks.txt');
  t.is(lxcNetworkValue(text, 0, 'lxc.network.link'), 'lanbr0');
  t.is(lxcNetworkValue(text, 1, 'lxc.network.link'), 'wanbr0');
  t.is(lxcNetworkValue(text, 0, 'lxc.network.name'), undefined, 'interface 1 names itself eth1, interface 0 has no name');
  t.is(lxcNetworkValue(text, 1, 'lxc.network.name'), 'eth1');
  t.is(lxcNetworkValue(text, 2, 'lxc.network.link'), undefined);
  t.is(lxcNetworkValue('lxc.net.0.link = enp4s16\nlxc.net.1.link = br0\n', 0, 'lxc.net.0.link'), 'enp4s16');
});

test('LXC 1.x: interface 0 is set inside the first block; the second interface stays as it was', (t) => {
  const text = fixture('lxc-config-lxc1-two-networks.txt');
  const entries = [
    { key: 'lxc.network.type', value: 'phys' },
    { key: 'lxc.network.link', value: 'enp4s16' },
    { key: 'lxc.network.name', value: 'eth0' },
    { key: 'lxc.network.hwaddr', value: '02:09:c0:01:00:00' },
    { key: 'lxc.network.flags', value: 'up' },
  ];
  const edited = setLegacyFirstNetwork(text, entries);
  t.true(edited.changed);
  t.is(edited.text, [
    'lxc.network.type = phys',
    'lxc.network.link = enp4s16',
    '#lxc.network.link=lxcbr0',
    'lxc.network.flags=up',
    'lxc.network.hwaddr = 02:09:c0:01:00:00',
    'lxc.network.name = eth0',
    '',
    ...text.split('\n').slice(6),
  ].join('\n'));
  t.is(lxcNetworkValue(edited.text, 1, 'lxc.network.link'), 'wanbr0');
  t.false(setLegacyFirstNetwork(edited.text, entries).changed, 'idempotent');
  const none = setLegacyFirstNetwork('lxc.utsname = c1\n', entries.slice(0, 2));
  t.is(none.text, 'lxc.utsname = c1\nlxc.network.type = phys\nlxc.network.link = enp4s16\n', 'no interface yet: one is started at the end');
});
