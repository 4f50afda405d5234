import test from 'ava';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { ObservingHost } from '../../../hosts/observing-host.ts';
import type { Host } from '../../../hosts/host.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { FatalError } from '../../../core/errors.ts';
import { biosVerifyStage } from '../../../tasks/bios-verify.ts';
import type { StageContext } from '../../../engine/stage.ts';

const KERNEL = fixture('stages/bios/uname-r.txt').trim();
const MODEL = 'Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection [8086:10fb]';
const netdevs = fixture('stages/bios/ls-A-sys-class-net-lab.txt');

function plan(fields = 'iommu: off'): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    ${fields}
    pfs:
      - { name: enp4s0f0, vfs: 8 }
      - { name: enp4s0f1, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!;
}

function context(host: Host, p: HostPlan = plan()): StageContext & { lines: string[] } {
  const lines: string[] = [];
  return { host, plan: p, outputs: {}, log: (l) => lines.push(l), signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state', lines };
}

interface NodeOptions {
  cpuinfo?: string;
  cmdline?: string;
  totalVfs?: string;
  iommuUnits?: string;
  netdevs?: string;
  lspciMissing?: boolean;
  /** What `readlink /sys/class/net/enp4s0f0/device` prints. */
  device0?: string;
}

/** The paper's node: two 82599 ports bound to ixgbe, 64 VFs each, no IOMMU active. */
function node(o: NodeOptions = {}, make = (files: Record<string, string>) => new FakeHost('node1', files)): FakeHost {
  const host = make({
    '/proc/cpuinfo': o.cpuinfo ?? fixture('stages/bios/cpuinfo-lab-xeon-vmx.txt'),
    '/proc/cmdline': o.cmdline ?? fixture('stages/reboot/proc-cmdline-vm.txt'),
    '/etc/os-release': fixture('stages/bios/os-release-debian12.txt'),
    '/proc/meminfo': fixture('parse/meminfo-vm.txt'),
    '/sys/class/net/enp4s0f0/device/sriov_totalvfs': `${o.totalVfs ?? '64'}\n`,
    '/sys/class/net/enp4s0f1/device/sriov_totalvfs': '64\n',
  });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: o.iommuUnits ?? '' });
  host.on(['ls', '-A', '/sys/class/net'], { stdout: o.netdevs ?? netdevs });
  for (const [i, pf] of ['enp4s0f0', 'enp4s0f1'].entries()) {
    host.on(['readlink', `/sys/class/net/${pf}/device`], { stdout: `${(i === 0 && o.device0) || `../../../pci0000:00/0000:00:03.0/0000:04:00.${i}`}\n` });
    host.on(['readlink', `/sys/class/net/${pf}/device/driver`], { stdout: '../../../../bus/pci/drivers/ixgbe\n' });
    host.on(['lspci', '-Dnn', '-s', `0000:04:00.${i}`], o.lspciMissing ? { code: 127, stderr: 'sh: 1: lspci: not found\n' } : { stdout: fixture(`stages/bios/lspci-Dnn-s-lab-0000-04-00.${i}.txt`) });
  }
  host.on(['uname', '-r'], { stdout: `${KERNEL}\n` });
  return host;
}

const readOnly = (host: FakeHost) => host.calls.every((c) => c.kind === 'readFile' || (c.kind === 'exec' && ['ls', 'readlink', 'lspci', 'uname'].includes(c.argv?.[0] ?? '')));

test('a fit node is done with its facts; verify records them for later stages', async (t) => {
  const host = node();
  const ctx = context(host);
  const check = await biosVerifyStage.check(ctx);
  t.like(check, {
    done: true,
    reason: `fit for SR-IOV: VT-x on, enp4s0f0 0000:04:00.0 82599 (64 VFs), enp4s0f1 0000:04:00.1 82599 (64 VFs); Debian GNU/Linux 12 (bookworm), kernel ${KERNEL}`,
  });
  t.deepEqual(ctx.lines, [
    'IOMMU off, as planned',
    `enp4s0f0: 0000:04:00.0 ${MODEL} (82599 NIC), driver ixgbe, up to 64 VFs (8 planned)`,
    `enp4s0f1: 0000:04:00.1 ${MODEL} (82599 NIC), driver ixgbe, up to 64 VFs (8 planned)`,
  ]);
  const outputs = await biosVerifyStage.verify(ctx);
  t.deepEqual(outputs, {
    cpuVirt: 'vmx',
    kernel: KERNEL,
    distro: { id: 'debian', versionId: '12', family: 'debian', idLike: [], prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    iommu: { active: false, units: [] },
    pfs: [
      { name: 'enp4s0f0', pci: '0000:04:00.0', pciId: '8086:10fb', nic: '82599', model: MODEL, totalVfs: 64, driver: 'ixgbe' },
      { name: 'enp4s0f1', pci: '0000:04:00.1', pciId: '8086:10fb', nic: '82599', model: MODEL, totalVfs: 64, driver: 'ixgbe' },
    ],
  });
  t.deepEqual(check.done && check.outputs, outputs, 'check gives the outputs verify gives: a done stage is not observed twice');
  t.true(readOnly(host));
});

test('VT-x disabled in the BIOS (no vmx flag): fails before anything is changed', async (t) => {
  const host = node({ cpuinfo: fixture('stages/bios/cpuinfo-lab-xeon-vt-disabled.txt') });
  const error = await t.throwsAsync(biosVerifyStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: VT-x is disabled in the BIOS (no vmx/svm flag in /proc/cpuinfo): enable Intel Virtualization Technology');
  t.regex(error?.hint ?? '', /BIOS\/UEFI setup and power-cycle/);
  t.true(readOnly(host));
});

test('AMD-V missing on a real AMD guest without nested virtualisation', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node({ cpuinfo: fixture('stages/bios/cpuinfo-amd-epyc-vm-no-svm.txt') }))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: AMD-V is disabled in the BIOS (no vmx/svm flag in /proc/cpuinfo): enable SVM Mode');
});

test('SR-IOV disabled in the BIOS: sriov_totalvfs is 0', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node({ totalVfs: '0' }))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: SR-IOV disabled in BIOS for 0000:04:00.0 (enp4s0f0): sriov_totalvfs is 0 — enable SR-IOV in the BIOS/UEFI setup');
});

test('every problem of a node is reported at once', async (t) => {
  const host = node({ cpuinfo: fixture('stages/bios/cpuinfo-lab-xeon-vt-disabled.txt'), totalVfs: '0' });
  const error = await t.throwsAsync(biosVerifyStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, [
    'node1 is not fit for SR-IOV:',
    '- VT-x is disabled in the BIOS (no vmx/svm flag in /proc/cpuinfo): enable Intel Virtualization Technology',
    '- SR-IOV disabled in BIOS for 0000:04:00.0 (enp4s0f0): sriov_totalvfs is 0 — enable SR-IOV in the BIOS/UEFI setup',
  ].join('\n'));
});

test('a NIC with fewer VFs than planned', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node({ totalVfs: '4' }))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: 0000:04:00.0 (enp4s0f0) supports 4 VFs, the plan asks for 8');
  t.is(error?.hint, 'lower pfs[].vfs of enp4s0f0 in the inventory to at most 4');
});

test('a PF name that does not exist lists the interfaces there are', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node({ netdevs: netdevs.replace('enp4s0f0\n', '') }))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: PF enp4s0f0 not found: there is no /sys/class/net/enp4s0f0 (interfaces: enp4s0f1, lo)');
});

test('a virtio NIC is not an SR-IOV PF (real sysfs link of this VM)', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node({ device0: '../../../virtio2' }))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: enp4s0f0 is not a PCI device (its device is ../../../virtio2)');
});

test('IOMMU asked for on the cmdline but not active: VT-d is off in the BIOS', async (t) => {
  const host = node({ cmdline: fixture('stages/reboot/proc-cmdline-lab-after.txt') });
  const error = await t.throwsAsync(biosVerifyStage.check(context(host, plan('iommu: pt'))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: VT-d is disabled in the BIOS: /proc/cmdline has intel_iommu=on iommu=pt but no IOMMU is active (/sys/class/iommu is empty)');
});

test('an IOMMU state that differs from the plan before the cmdline stage is a note, not a failure', async (t) => {
  const on = context(node({ iommuUnits: 'dmar0\ndmar1\n' }));
  t.true((await biosVerifyStage.check(on)).done);
  t.is(on.lines[0], 'IOMMU on now (dmar0, dmar1); the plan has it off like the paper: kernel-cmdline adds intel_iommu=off, off after the reboot');
  const off = context(node(), plan('iommu: pt'));
  t.true((await biosVerifyStage.check(off)).done);
  t.is(off.lines[0], 'IOMMU off now; kernel-cmdline adds intel_iommu=on iommu=pt, on after the reboot (needs VT-d enabled in the BIOS)');
});

test('the inventory\'s distro must match the node', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node(), plan('distro: centos7'))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: the inventory says distro centos7 but /etc/os-release says "Debian GNU/Linux 12 (bookworm)"');
});

test('without lspci the model is unknown, which is not fatal', async (t) => {
  const ctx = context(node({ lspciMissing: true }));
  t.true((await biosVerifyStage.check(ctx)).done);
  t.regex(ctx.lines[1] ?? '', /model unknown: no lspci output; is pciutils installed\?/);
});

test('a port planned without VFs needs no SR-IOV capability', async (t) => {
  const ctx = context(node({ totalVfs: '0' }), parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: off
    pfs:
      - { name: enp4s0f0, vfs: 0 }
      - { name: enp4s0f1, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!);
  t.true((await biosVerifyStage.check(ctx)).done);
});

// Issue 17 (6): a million huge pages were accepted without looking at the node's memory.
test('huge pages past the node\'s memory fail in check, with the count that fits', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node(), plan('iommu: off\n    hugepages: { count: 1000000 }'))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: hugepages 1000000 × 2M = 1953.1 GiB is more than 90% of the node\'s memory (MemTotal 23.5 GiB)');
  t.is(error?.hint, 'lower hugepages.count in the inventory to at most 10847');
});

test('huge pages that fit are noted', async (t) => {
  const ctx = context(node(), plan('iommu: off\n    hugepages: { count: 1024 }'));
  await biosVerifyStage.check(ctx);
  t.true(ctx.lines.includes('hugepages: 1024 × 2M = 2.0 GiB of MemTotal 23.5 GiB'));
});

test('a PF asked for more VFs than sriov_totalvfs (vfs: 200 on an 82599) fails in check', async (t) => {
  const error = await t.throwsAsync(biosVerifyStage.check(context(node({ totalVfs: '63' }), parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: off
    pfs:
      - { name: enp4s0f0, vfs: 200 }
      - { name: enp4s0f1, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: 0000:04:00.0 (enp4s0f0) supports 63 VFs, the plan asks for 200');
  t.is(error?.hint, 'lower pfs[].vfs of enp4s0f0 in the inventory to at most 63');
});

// Issue 26: one observation per fact. Under the engine's ObservingHost the check reads sysfs, /proc
// and the commands in one round trip and lspci (which needs the PCI addresses) in a second; verify
// after it reads nothing again; the result is the one the reads one by one give.
test('the check reads the node in two round trips, verify after it in none, with the same facts', async (t) => {
  const alone = await biosVerifyStage.check(context(node()));
  const batching = node({}, (files) => new BatchingFakeHost('node1', files)) as BatchingFakeHost;
  const ctx = context(new ObservingHost(batching));
  t.deepEqual(await biosVerifyStage.check(ctx), alone);
  t.is(batching.roundTrips, 2, JSON.stringify(batching.batches));
  t.deepEqual(batching.batches[1], ['lspci -Dnn -s 0000:04:00.0', 'lspci -Dnn -s 0000:04:00.1']);
  await biosVerifyStage.verify(ctx);
  t.is(batching.roundTrips, 2, 'verify answered from what the check observed');
});
