import test from 'ava';
import type { StageContext } from '../../../engine/stage.ts';
import { assessPf } from '../../../node/vfs/assess.ts';
import { createVfVerifyStage } from '../../../tasks/vf-verify.ts';
import { hostUse, parseHostUse } from '../../../node/vfs/resize.ts';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { LocalHost } from '../../../hosts/local.ts';
import type { ExecOptions, ExecResult } from '../../../hosts/host.ts';
import { parseSysfsSurvey } from '../../../node/vfs/sysfs-survey.ts';
import { FatalError, NotReadyError } from '../../../core/errors.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { FakeHost, fixture, type FakeAnswer } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { ObservingHost } from '../../../hosts/observing-host.ts';
import { answerIproute } from '../../helpers/iproute.ts';

// The paper's node: two 82599 ports with 8 VFs each (sysfs surveys: test/fixtures/stages/vf/README.md).
const f = (name: string) => fixture(`stages/vf/${name}`);
const stage = createVfVerifyStage({ settle: { retries: 2, minTimeout: 1, maxTimeout: 1 } });
const RULES = '/etc/udev/rules.d/70-sriov-lxc.rules';
const CMDLINE = 'BOOT_IMAGE=/vmlinuz-3.10.0-123.8.1.el7.x86_64 root=/dev/mapper/cc-root ro intel_iommu=off default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8\n';

const PAPER = `
hosts:
  node1:
    address: 127.0.0.1
    pfs:
      - { name: enp4s0f0, vfs: 8 }
      - { name: enp4s0f1, vfs: 8 }
    containers:
      - { name: c1, template: busybox, vf: { pf: enp4s0f0, index: 0 } }
`;
const SYSFS_MODE = `
hosts:
  node1:
    address: 127.0.0.1
    pfs:
      - { name: enp4s0f0, vfs: 2, vfCreation: sysfs }
    containers:
      - { name: c1, template: busybox, vf: { pf: enp4s0f0, index: 0 } }
`;

function context(host: FakeHost, yaml = PAPER): StageContext & { logs: string[] } {
  const logs: string[] = [];
  const plan = parseInventory(yaml, '/tmp/inventory.yaml').hosts[0]!;
  return { host, plan, outputs: {}, log: (m) => logs.push(m), signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state', logs };
}

/** `ip -j link show` of the paper's node with `count` VFs per port in the PF's vfinfo_list. */
function ipLink(counts: Record<string, number>): string {
  const links = JSON.parse(fixture('parse/ip-j-link-pf-vfinfo.json')) as { ifname: string; vfinfo_list?: unknown[] }[];
  for (const link of links) {
    const count = counts[link.ifname];
    if (count !== undefined && link.vfinfo_list) link.vfinfo_list = link.vfinfo_list.slice(0, count);
  }
  return JSON.stringify(links);
}

const surveyOf = (pf: string) => (argv: readonly string[]) => argv[0] === 'sh' && argv.at(-1) === pf && (argv[2] ?? '').includes('virtfn');

/**
 * The same links as CentOS 7's iproute 4.11 prints them (`ip link show`, no -j): the header and
 * link/ether lines of ip/ipaddress.c print_linkinfo, `vf N MAC …` lines of its print_vfinfo.
 */
function ipLinkText411(json: string): string {
  const links = JSON.parse(json) as { ifindex: number; ifname: string; address: string; vfinfo_list?: { vf: number; address: string; spoofchk: boolean; link_state: string; trust: boolean }[] }[];
  return links.flatMap((l) => [
    `${l.ifindex}: ${l.ifname}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000`,
    `    link/ether ${l.address} brd ff:ff:ff:ff:ff:ff`,
    ...(l.vfinfo_list ?? []).map((v) => `    vf ${v.vf} MAC ${v.address}, spoof checking ${v.spoofchk ? 'on' : 'off'}, link-state ${v.link_state}, trust ${v.trust ? 'on' : 'off'}, query_rss off`),
  ]).join('\n') + '\n';
}

/**
 * A node whose sysfs survey per PF is `sysfs[pf]`; `hostUse[netdev]` is "flags master address"
 * as node/vfs/resize.ts's script prints them (default: up, no master, no global address).
 */
function node(sysfs: Record<string, string | (() => string)>, vfCounts: () => Record<string, number>, release: '6.1' | '4.11' = '6.1', lspci: FakeAnswer = { stdout: fixture('parse/lspci-Dnn-82599-paper-host.txt') }, hostUse: Record<string, string> = {}, host: FakeHost = new FakeHost('node1', { '/proc/cmdline': CMDLINE })): FakeHost {
  host.on((argv) => argv[0] === 'sh' && (argv[2] ?? '').includes('/sys/class/net/$d/master'), (argv) => ({ stdout: argv.slice(4).map((d) => `${d} ${hostUse[d] ?? '0x1003 - -'}\n`).join('') }));
  answerIproute(host, release);
  host.on(['lspci', '-Dnn'], lspci);
  if (release === '6.1') host.on(['ip', '-j', 'link', 'show'], () => ({ stdout: ipLink(vfCounts()) }));
  else host.on(['ip', 'link', 'show'], () => ({ stdout: ipLinkText411(ipLink(vfCounts())) }));
  for (const [pf, survey] of Object.entries(sysfs)) {
    host.on(surveyOf(pf), () => ({ stdout: f(typeof survey === 'function' ? survey() : survey) }));
  }
  return host;
}

const paperNode = (enp4s0f0 = 'sysfs-enp4s0f0-8vfs.txt', lspci?: FakeAnswer) =>
  node({ enp4s0f0, enp4s0f1: 'sysfs-enp4s0f1-8vfs.txt' }, () => ({ enp4s0f0: 8, enp4s0f1: 8 }), '6.1', lspci);

test('the paper node with max_vfs=8,8 is done; outputs name each VF netdev, PCI function and PF-side MAC', async (t) => {
  const host = paperNode();
  const ctx = context(host);
  const check = await stage.check(ctx);
  t.like(check, { done: true, reason: 'enp4s0f0: 8 VFs, enp4s0f1: 8 VFs, bound to ixgbevf' });
  const outputs = await stage.verify(ctx);
  t.deepEqual(check.done && check.outputs, outputs, 'check gives the outputs verify gives');
  t.like(outputs, { pfs: [{ name: 'enp4s0f0', pci: '0000:04:00.0' }, { name: 'enp4s0f1', pci: '0000:04:00.1' }] });
  const pfs = outputs.pfs as { vfs: unknown[] }[];
  t.deepEqual(pfs[0]?.vfs[0], { index: 0, netdev: 'enp4s16', pci: '0000:04:10.0', mac: 'd6:d6:d6:54:f9:f8' });
  t.deepEqual(pfs[1]?.vfs[7], { index: 7, netdev: 'enp4s17f7', pci: '0000:04:11.7', mac: '0a:93:df:2e:62:2b' });
  t.false(host.calls.some((c) => c.kind === 'writeFile'));
});

// Issue 22: pciutils is not in minimal installs; bios-verify does without lspci, and so does this stage.
test('without lspci the VFs are verified from sysfs and ip link, with a note saying so', async (t) => {
  // Without pciutils, root's bash over SSH answers 127.
  const host = paperNode(undefined, { code: 127, stderr: 'bash: line 1: lspci: command not found\n' });
  const check = await stage.check(context(host));
  t.like(check, { done: true, reason: "enp4s0f0: 8 VFs, enp4s0f1: 8 VFs, bound to ixgbevf; lspci not installed: VFs counted in sysfs and ip link only (install pciutils for lspci's view too)" });
  t.like(await stage.verify(context(host)), { pfs: [{ name: 'enp4s0f0' }, { name: 'enp4s0f1' }] });
});

test('lspci failing otherwise is an error that names it', async (t) => {
  const host = paperNode(undefined, { code: 1, stderr: 'lspci: Cannot open /sys/bus/pci/devices: Permission denied\n' });
  await t.throwsAsync(stage.check(context(host)), { message: /lspci -Dnn/ });
});

test("CentOS 7 (iproute 4.11, no -j): the same VFs and MACs from the text, and the node's ip in the outputs", async (t) => {
  const host = node({ enp4s0f0: 'sysfs-enp4s0f0-8vfs.txt', enp4s0f1: 'sysfs-enp4s0f1-8vfs.txt' }, () => ({ enp4s0f0: 8, enp4s0f1: 8 }), '4.11');
  const outputs = await stage.verify(context(host));
  const json = await stage.verify(context(paperNode()));
  t.deepEqual(outputs.pfs, json.pfs);
  t.deepEqual(outputs.iproute, { version: 'ss170501', json: false });
  t.deepEqual(json.iproute, { version: '6.1.0', json: true });
  t.false(host.commands.some((c) => c.startsWith('ip link') && c.includes('-j')), 'no -j after the probe');
});

test('a VF inside a container has no host netdev: still done, its netdev null in the outputs', async (t) => {
  const ctx = context(paperNode('sysfs-enp4s0f0-vf0-in-container.txt'));
  t.like(await stage.check(ctx), { done: true });
  const pfs = (await stage.verify(ctx)).pfs as { vfs: { netdev: string | null }[] }[];
  t.is(pfs[0]?.vfs[0]?.netdev, null);
});

test('fewer VFs than planned (max_vfs): check waits, verify is not ready, apply gives up with the causes', async (t) => {
  const host = node({ enp4s0f0: 'sysfs-enp4s0f0-2vfs.txt', enp4s0f1: 'sysfs-enp4s0f1-8vfs.txt' }, () => ({ enp4s0f0: 2, enp4s0f1: 8 }));
  const ctx = context(host);
  const message = 'enp4s0f0 (0000:04:00.0) has 2 VFs, 8 planned (sriov_totalvfs 63; kernel cmdline: ixgbe.max_vfs=8,8)';
  t.deepEqual(await stage.check(ctx), { done: false, plan: [`wait: ${message}`] });
  await t.throwsAsync(stage.verify(ctx), { instanceOf: NotReadyError, message });
  const error = await t.throwsAsync(stage.apply(ctx), { instanceOf: FatalError, message });
  t.regex(error?.hint ?? '', /likely causes are the device's limit \(sriov_totalvfs\), max_vfs on the kernel cmdline, SR-IOV or VT-d\/ARI settings in the BIOS/);
  t.false(host.commands.some((c) => c.includes('printf')), 'max_vfs VFs are never written through sysfs');
});

// Apply starts from the check's observations (engine/host-run.ts): a wait in it must not be answered by them.
test('max_vfs: apply waits for a VF the driver binds with no command of ours, each look reading the node again', async (t) => {
  let looks = 0;
  const node1 = new BatchingFakeHost('node1', { '/proc/cmdline': CMDLINE });
  node({ enp4s0f0: () => (++looks <= 3 ? 'sysfs-enp4s0f0-vf7-unbound.txt' : 'sysfs-enp4s0f0-8vfs.txt'), enp4s0f1: 'sysfs-enp4s0f1-8vfs.txt' }, () => ({ enp4s0f0: 8, enp4s0f1: 8 }), '6.1', undefined, {}, node1);
  const host = new ObservingHost(node1);
  const waiting = createVfVerifyStage({ settle: { retries: 5, minTimeout: 1, maxTimeout: 1 } });
  const ctx = { ...context(node1), host };
  t.like(await waiting.check(ctx), { done: false, plan: ['wait: enp4s0f0: VF 7 not bound to ixgbevf yet'] });
  await waiting.apply(ctx);
  t.true(looks > 3, `${looks} looks at enp4s0f0`);
  t.false(node1.commands.some((c) => c.includes('printf')), 'nothing written');
});

test('SR-IOV disabled in the BIOS is fatal at check, with the fix', async (t) => {
  const host = paperNode('sysfs-enp4s0f0-sriov-disabled.txt');
  const error = await t.throwsAsync(stage.check(context(host)), { instanceOf: FatalError, message: 'enp4s0f0 (0000:04:00.0) supports at most 0 VFs, the plan asks for 8' });
  t.regex(error?.hint ?? '', /enable SR-IOV \(and VT-d\) in the BIOS/);
});

test('an unbound VF is waited for', async (t) => {
  const ctx = context(paperNode('sysfs-enp4s0f0-vf7-unbound.txt'));
  t.like(await stage.check(ctx), { done: false, plan: ['wait: enp4s0f0: VF 7 not bound to ixgbevf yet'] });
  await t.throwsAsync(stage.verify(ctx), { instanceOf: NotReadyError, message: 'enp4s0f0: VF 7 not bound to ixgbevf yet' });
});

test('vfCreation sysfs: apply writes sriov_numvfs and the udev rule; the next check is done', async (t) => {
  let numvfs = 0;
  const host = node({ enp4s0f0: () => (numvfs === 2 ? 'sysfs-enp4s0f0-2vfs.txt' : 'sysfs-enp4s0f0-0vfs.txt') }, () => ({ enp4s0f0: numvfs }));
  host.on((argv) => argv[2] === 'printf %s "$1" > "$2"', (argv) => {
    numvfs = Number(argv[4]);
    return {};
  });
  const ctx = context(host, SYSFS_MODE);
  const rules = `# Generated by sriov-lxc: the SR-IOV VF count of each PF with vfCreation: sysfs, set at every
# boot when the PF appears. Do not edit: sriov-lxc rewrites this file from the inventory.
# enp4s0f0
ACTION=="add", SUBSYSTEM=="net", KERNELS=="0000:04:00.0", ATTR{device/sriov_numvfs}="2"
`;
  const check = await stage.check(ctx);
  t.like(check, {
    done: false,
    plan: ['enp4s0f0 (0000:04:00.0) has 0 VFs, 2 planned: write sriov_numvfs (0 first when other VFs exist)', `persist the VF counts in ${RULES}`],
  });
  if (!check.done) t.is(check.diffs?.[0]?.diff, `--- /dev/null\n+++ b${RULES}\n@@ -0,0 +1,4 @@\n${rules.trimEnd().split('\n').map((l) => `+${l}`).join('\n')}\n`);
  await stage.apply(ctx);
  t.deepEqual(host.commands.filter((c) => c.includes('printf')), [`sh -c 'printf %s "$1" > "$2"' sh 2 /sys/class/net/enp4s0f0/device/sriov_numvfs`]);
  t.is(host.files.get(RULES)?.content, rules);
  t.like(await stage.check(ctx), { done: true, reason: `enp4s0f0: 2 VFs, bound to ixgbevf; count persisted in ${RULES}` });
});

test('vfCreation sysfs: a different count goes through 0 first', async (t) => {
  let numvfs = 8;
  const host = node({ enp4s0f0: () => (numvfs === 2 ? 'sysfs-enp4s0f0-2vfs.txt' : numvfs === 0 ? 'sysfs-enp4s0f0-0vfs.txt' : 'sysfs-enp4s0f0-8vfs.txt') }, () => ({ enp4s0f0: numvfs }));
  host.on((argv) => argv[2] === 'printf %s "$1" > "$2"', (argv) => {
    numvfs = Number(argv[4]);
    return {};
  });
  await stage.apply(context(host, SYSFS_MODE));
  t.deepEqual(host.commands.filter((c) => c.includes('printf')).map((c) => c.split(' ').at(-2)), ['0', '2']);
});

// `lxc-info -n c1 -s` of LXC 5.0.2 (Debian 12) for a running container
const RUNNING = 'State:          RUNNING\n';

test('vfCreation sysfs: changing the count while a running container owns a VF: the plan names it, apply refuses', async (t) => {
  const host = node({ enp4s0f0: 'sysfs-enp4s0f0-vf0-in-container.txt' }, () => ({ enp4s0f0: 8 }));
  host.on(['lxc-info', '-n', 'c1', '-s'], { stdout: RUNNING });
  const check = await stage.check(context(host, SYSFS_MODE));
  t.like(check, { done: false });
  if (!check.done) t.true(check.plan.includes('enp4s0f0: the resize destroys the VFs of running containers: c1 (VF 0); the run stops here unless --allow-vf-resize is given'), check.plan.join('\n'));
  const error = await t.throwsAsync(stage.apply(context(host, SYSFS_MODE)), { instanceOf: FatalError, message: /changing the count destroys them all, and these hold one: c1 \(VF 0\)/ });
  t.regex(error?.hint ?? '', /^run again with --allow-vf-resize to stop c1, resize and start them again on their VFs \(or lxc-stop -n c1 yourself first\)$/);
  t.false(host.commands.some((c) => c.includes('printf') || c.startsWith('lxc-stop')));
});

test('vfCreation sysfs: with --allow-vf-resize the owners are stopped, the count goes 0 then N, and they start again', async (t) => {
  let numvfs = 8;
  let running = true;
  const host = node({ enp4s0f0: () => (numvfs === 2 ? 'sysfs-enp4s0f0-2vfs.txt' : numvfs === 0 ? 'sysfs-enp4s0f0-0vfs.txt' : running ? 'sysfs-enp4s0f0-vf0-in-container.txt' : 'sysfs-enp4s0f0-8vfs.txt') }, () => ({ enp4s0f0: numvfs }));
  host.on(['lxc-info', '-n', 'c1', '-s'], () => ({ stdout: running ? RUNNING : 'State:          STOPPED\n' }));
  host.on((argv) => argv[0] === 'lxc-stop', () => ((running = false), {}));
  host.on((argv) => argv[0] === 'lxc-start', () => ((running = true), {}));
  host.on((argv) => argv[2] === 'printf %s "$1" > "$2"', (argv) => ((numvfs = Number(argv[4])), {}));
  await stage.apply({ ...context(host, SYSFS_MODE), allowVfResize: true });
  const steps = host.commands.filter((c) => /^lxc-st|printf/.test(c) || c.includes('printf')).map((c) => (c.includes('printf') ? `write ${c.split(' ').at(-2)}` : c));
  t.deepEqual(steps, ['lxc-stop -n c1 -t 10', 'write 0', 'write 2', 'lxc-start -n c1 -d']);
});

// Issue 24: --allow-vf-resize judged VFs by planned container only: one the host uses was destroyed without a word.
for (const [use, line, named] of [
  ['enslaved to a bond', '0x1803 bond0 -', 'enslaved to bond0'],
  ['an Open vSwitch port', '0x1003 ovs-system -', 'a port of Open vSwitch'],
  ['up with an address', '0x1003 - 192.0.2.10/24', 'up with 192.0.2.10/24'],
] as const) {
  test(`vfCreation sysfs: a VF the host namespace uses (${use}) stops the resize, named, even with --allow-vf-resize`, async (t) => {
    const host = node({ enp4s0f0: 'sysfs-enp4s0f0-8vfs.txt' }, () => ({ enp4s0f0: 8 }), '6.1', undefined, { enp4s16f2: line });
    const check = await stage.check(context(host, SYSFS_MODE));
    if (!check.done) t.true(check.plan.includes(`enp4s0f0: the resize destroys VFs in use: VF 1 (enp4s16f2 in the host namespace, ${named}); the run stops here until they are freed`), check.plan.join('\n'));
    const error = await t.throwsAsync(stage.apply({ ...context(host, SYSFS_MODE), allowVfResize: true }), { instanceOf: FatalError });
    t.true(error!.message.endsWith(`these hold one: VF 1 (enp4s16f2 in the host namespace, ${named})`), error!.message);
    t.regex(error!.hint ?? '', /^the host itself uses enp4s16f2: take them out of their bond, bridge or switch and down/);
    t.false(host.commands.some((c) => c.includes('printf') || c.startsWith('lxc-stop')), 'nothing destroyed');
  });
}

test('host use of VF netdevs: down with an address, or up with none, is not in use', (t) => {
  t.deepEqual([...parseHostUse('a 0x1002 - 10.0.0.1/24\nb 0x1003 - -\nc 0x1003 br0 -\n')], [['c', 'enslaved to br0']]);
});

/** This machine inside a network namespace of the test's own. */
class NetnsHost extends LocalHost {
  readonly netns: string;
  constructor(netns: string) {
    super('netns');
    this.netns = netns;
  }
  override exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return super.exec(['ip', 'netns', 'exec', this.netns, ...argv], options);
  }
}

test('host use read on real netdevs (a namespace of the test\'s own): bridged, up with an address; not: up without one, down, gone', async (t) => {
  const ns = `sriov-hostuse-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => execFileSync('ip', ['netns', 'delete', ns]));
  const sh = (script: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-ec', script]);
  // veth pairs stand in for VF netdevs (this kernel has no dummy module); the peers stay unused.
  sh('for i in 0 1 2 3; do ip link add v$i type veth peer name p$i; done; ip addr add 192.0.2.10/24 dev v0; ip link set v0 up; ip link add br0 type bridge; ip link set v1 master br0; ip link set v2 up; ip addr add 192.0.2.13/24 dev v3');
  const vfs = ['v0', 'v1', 'v2', 'v3', 'gone'].map((netdev, index) => ({ index, pci: `0000:04:10.${index}`, driver: 'ixgbevf', netdev }));
  t.deepEqual(await hostUse(new NetnsHost(ns), { vfs }), [
    { vf: 0, netdev: 'v0', use: 'up with 192.0.2.10/24' },
    { vf: 1, netdev: 'v1', use: 'enslaved to br0' },
  ]);
});

test('sysfs surveys: a real virtio NIC has no SR-IOV; a missing PF is named', (t) => {
  const virtio = parseSysfsSurvey(f('sysfs-virtio-eth0.txt'));
  t.deepEqual(virtio, { found: true, pci: 'virtio2', totalVfs: null, numVfs: null, vfs: [] });
  const plan = { name: 'eth0', vfs: 4, vfCreation: 'max_vfs' as const, vfCreationSetting: 'auto' as const, vfSettings: [], macs: [], autoMacs: true };
  const base = { plan, link: undefined, lspciVfs: new Set<string>(), maxVfsParam: undefined, vfModule: 'ixgbevf' };
  t.like(assessPf({ ...base, sysfs: virtio }).findings[0], { kind: 'fatal', message: 'eth0 (virtio2) has no SR-IOV capability in sysfs (no sriov_totalvfs)' });
  t.deepEqual(assessPf({ ...base, plan: { ...plan, vfs: 0 }, sysfs: virtio }).findings, [], 'a PF without planned VFs needs no SR-IOV');
  t.like(assessPf({ ...base, sysfs: parseSysfsSurvey(f('sysfs-missing-pf.txt')) }).findings[0], { kind: 'settling', message: 'eth0 not found (no /sys/class/net/eth0/device)' });
});
