import test from 'ava';
import { configuredText, type ConfigInput } from '../../../node/lxc/container-config.ts';
import { devicesAllowRule, parseStatDevice } from '../../../node/lxc/devices.ts';
import { autodevHook, startHostHook } from '../../../node/lxc/hooks.ts';
import { classesAtRate, hasOurRootQdisc, htbClassRates, htbQuantum, rateBits, rateCommands } from '../../../node/lxc/traffic-limit.ts';
import { FatalError } from '../../../core/errors.ts';
import type { ContainerPlan } from '../../../inventory/plan.ts';
import { fixture } from '../../helpers/fake-host.ts';

const f = (name: string) => fixture(`stages/container/${name}`);

const centos2: ContainerPlan = {
  name: 'centos2',
  template: 'centos',
  templateArgs: ['--release', '7'],
  templatePatches: [],
  vf: { pf: 'enp4s0f1', index: 0 },
  address: '192.168.10.12/24',
  autostart: true,
  limits: { memory: '8G', cpus: '8-15' },
  devices: ['/dev/nvme0n1'],
  rate: '10gbit',
};

const input = (over: Partial<ConfigInput> = {}): ConfigInput => ({
  container: centos2,
  style: 'legacy',
  cgroup: 'v1',
  netdev: 'enp4s16f1',
  mac: '7a:e7:81:9c:43:38',
  devices: [{ path: '/dev/nvme0n1', type: 'b', major: 259, minor: 0 }],
  dir: '/var/lib/lxc/centos2',
  benchDir: '/srv/bench',
  rateHook: false,
  ...over,
});

test("LXC 1.x (the paper's CentOS 7 config): legacy keys, the bridge network replaced, the template's lines kept", (t) => {
  const text = configuredText(fixture('parse/lxc-config-centos-lxc1.txt'), input());
  t.is(text, `lxc.network.type = phys
lxc.network.flags = up
lxc.network.link = enp4s16f1
lxc.network.hwaddr = 7a:e7:81:9c:43:38
lxc.rootfs = /var/lib/lxc/centos1/rootfs

# Include common configuration
lxc.include = /usr/share/lxc/config/centos.common.conf

lxc.arch = x86_64
lxc.utsname = centos1

lxc.autodev = 1
lxc.network.name = eth0
lxc.network.ipv4 = 192.168.10.12/24
lxc.start.auto = 1
lxc.cgroup.memory.limit_in_bytes = 8G
lxc.cgroup.cpuset.cpus = 8-15
# BEGIN sriov-lxc container
lxc.hook.autodev = /var/lib/lxc/centos2/sriov-lxc-autodev.sh
lxc.cgroup.devices.allow = b 259:0 rwm
lxc.mount.entry = /srv/bench srv/bench none bind,create=dir,optional 0 0
# END sriov-lxc container
`);
  t.is(configuredText(text, input()), text, 'idempotent');
});

test('cgroup v2 nodes get lxc.cgroup2 keys; a limit dropped from the plan is removed', (t) => {
  const modern = configuredText(f('lxc-config-busybox-created.txt'), input({ style: 'modern', cgroup: 'v2' }));
  t.regex(modern, /^lxc\.cgroup2\.memory\.max = 8G$/m);
  t.regex(modern, /^lxc\.cgroup2\.cpuset\.cpus = 8-15$/m);
  t.regex(modern, /^lxc\.cgroup2\.devices\.allow = b 259:0 rwm$/m);
  const unlimited = configuredText(modern, input({ style: 'modern', cgroup: 'v2', container: { ...centos2, limits: {} } }));
  t.notRegex(unlimited, /memory|cpuset/);
  t.notRegex(unlimited, /lxc\.net\.0\.link = lxcbr0|veth/);
});

test('keys a later plan adds go above our block, which stays last', (t) => {
  const first = configuredText(f('lxc-config-busybox-created.txt'), input({ style: 'modern', container: { ...centos2, limits: {} } }));
  const later = configuredText(first, input({ style: 'modern', container: { ...centos2, gateway: '192.168.10.1' } }));
  t.regex(later, /lxc\.net\.0\.ipv4\.gateway = 192\.168\.10\.1\nlxc\.cgroup\.memory\.limit_in_bytes = 8G\nlxc\.cgroup\.cpuset\.cpus = 8-15\n# BEGIN sriov-lxc container\n(?:.*\n){3}# END sriov-lxc container\n$/);
});

test('LXC before 2.1 on a cgroup v2-only node is refused with a way out', (t) => {
  t.throws(() => configuredText('', input({ cgroup: 'v2' })), { instanceOf: FatalError, message: /cgroup v2 only, which LXC before 2.1 cannot configure/ });
});

test('device numbers from real stat output; anything but a device is refused', (t) => {
  const loop = parseStatDevice('/dev/loop0', f('stat-loop0.txt'));
  t.deepEqual(loop, { path: '/dev/loop0', type: 'b', major: 7, minor: 0 });
  t.is(devicesAllowRule(loop), 'b 7:0 rwm');
  t.deepEqual(parseStatDevice('/dev/null', f('stat-null.txt')), { path: '/dev/null', type: 'c', major: 1, minor: 3 });
  t.throws(() => parseStatDevice('/dev/x', f('stat-regular-file.txt')), { message: '/dev/x is a regular file, not a device' });
});

test('the autodev hook quotes device paths and makes nodes under $LXC_ROOTFS_MOUNT/dev', (t) => {
  const script = autodevHook('c1', [{ path: "/dev/disk/by-id/it's", type: 'b', major: 8, minor: 32 }]);
  t.regex(script, /^node 'disk\/by-id\/it'\\''s' b 8 32$/m);
  t.is(autodevHook('sxt-c1', [{ path: '/dev/loop0', type: 'b', major: 7, minor: 0 }]), f('hook-autodev-loop0.sh'));
});

test('tc: an explicit quantum (the paper 1kbps example warned "quantum is small"), rates read back from real tc output', (t) => {
  t.is(rateBits('1kbps'), 8000);
  t.is(rateBits('10gbit'), 1e10);
  t.is(htbQuantum('1kbps'), 1514);
  t.is(htbQuantum('500mbit'), 200_000);
  t.is(htbQuantum('10mbit'), 125_000);
  t.deepEqual(rateCommands('eth0', '1kbps')[1], ['tc', 'class', 'replace', 'dev', 'eth0', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '1kbps', 'quantum', '1514']);
  t.deepEqual([...htbClassRates(f('tc-class-htb-1kbps.txt'))], [['1:11', 8000], ['1:1', 8000]]);
  t.true(classesAtRate(f('tc-class-htb-1kbps.txt'), '1kbps'));
  t.true(classesAtRate(f('tc-class-htb-1gbit.txt'), '1gbit'));
  t.false(classesAtRate(f('tc-class-htb-1gbit.txt'), '10gbit'));
  t.true(hasOurRootQdisc(f('tc-qdisc-htb-iproute2-6.1.txt')), 'iproute2 6.1: default 0x11');
  t.true(hasOurRootQdisc(f('tc-qdisc-htb-iproute-4.11.txt')), 'iproute 4.11: default 11');
  t.false(hasOurRootQdisc(f('tc-qdisc-noqueue-iproute2-6.1.txt')));
  t.false(hasOurRootQdisc('qdisc htb 1: root refcnt 2 r2q 10 default 1 direct_packets_stat 0 direct_qlen 1000'), 'another default class');
  t.is(startHostHook('sxt-c1', rateCommands('eth0', '1gbit')), f('hook-start-host-1gbit.sh'));
});

