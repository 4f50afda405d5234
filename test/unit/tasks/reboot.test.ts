import test from 'ava';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { labNodePlan } from '../../helpers/plans.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { FatalError, NotReadyError } from '../../../core/errors.ts';
import { rebootStage } from '../../../tasks/reboot.ts';
import type { StageContext, StageOutputs } from '../../../engine/stage.ts';
import { nodeDistro } from '../../../node/facts/distro.ts';
import { parseOsRelease } from '../../../node/parse/os-release.ts';
import { DETECT_BOOT_METHOD } from '../../../node/boot/boot-method.ts';

// The lab node's plan (lab/inventory.ts): IOMMU in passthrough mode, 4 VFs per port by max_vfs.
const PARAMS = 'intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4,4';
const before = fixture('stages/reboot/proc-cmdline-lab-before.txt');
const after = fixture('stages/reboot/proc-cmdline-lab-after.txt');
const lsmodPf = fixture('stages/reboot/lsmod-lab-ixgbe.txt');
const lsmodBoth = fixture('stages/reboot/lsmod-lab-ixgbe-ixgbevf.txt');
const lsmodNone = lsmodPf.split('\n')[0] ?? '';

const plan: HostPlan = labNodePlan();

const centos7 = { 'bios-verify': { distro: nodeDistro(parseOsRelease(fixture('stages/bios/os-release-centos7.txt'))) } };

function context(host: FakeHost, outputs: Record<string, StageOutputs> = {}): StageContext {
  return { host, plan, outputs: { ...centos7, ...outputs }, log: () => {}, signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state' };
}

interface NodeOptions {
  /** Entries of /sys/class/iommu: an Intel host with VT-d on lists dmar0 once intel_iommu=on. */
  iommu?: string;
  /** The modules the kernel lists under /sys/module. */
  sysModules?: string[];
  /** grub.cfg; default: the lab node's after kernel-cmdline (plain method) ran. */
  grubCfg?: string;
}

function node(cmdline: string, lsmod: string, o: NodeOptions = {}): FakeHost {
  const host = new FakeHost('node1', {
    '/proc/cmdline': cmdline,
    '/etc/default/grub': fixture('stages/cmdline/default-grub-lab-centos7-configured.txt'),
    '/boot/grub2/grub.cfg': o.grubCfg ?? fixture('stages/cmdline/grub2-lab-centos7-configured.cfg'),
    '/boot/grub2/grubenv': fixture('stages/cmdline/grubenv-lab-centos7-empty'),
  });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: '' });
  host.on(['lsmod'], { stdout: lsmod });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: o.iommu ?? 'dmar0\n' });
  host.on((argv) => argv[0] === 'test' && argv[1] === '-d' && String(argv[2]).startsWith('/sys/module/'), (argv) => ({
    code: (o.sysModules ?? []).includes(String(argv[2]).slice('/sys/module/'.length)) ? 0 : 1,
  }));
  return host;
}

test('the running boot lacks the params: the plan says which', async (t) => {
  const host = node(before, lsmodPf, { iommu: '' });
  t.deepEqual(await rebootStage.check(context(host)), {
    done: false,
    plan: [
      'why: the kernel cmdline lacks intel_iommu=on (absent), iommu=pt (absent), default_hugepagesz=2M (absent), hugepagesz=2M (absent), ixgbe.max_vfs=4,4 (absent)',
      'why: ixgbevf not loaded: the boot loads it from /etc/modules-load.d',
      'reboot node1 and wait for the new boot',
    ],
  });
});

test('refused when the next boot would not have the params either: kernel-cmdline has not run', async (t) => {
  const host = node(before, lsmodPf, { iommu: '', grubCfg: fixture('stages/cmdline/grub2-lab-centos7-fresh.cfg') });
  const error = await t.throwsAsync(rebootStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, `node1: rebooting now would not give the kernel the planned params: the next boot entry "CentOS Linux GNU/Linux, with Linux 6.18.44-fc-v595" (GRUB_DEFAULT=saved, saved_entry=0) lacks ${PARAMS}`);
  // In a dry run kernel-cmdline prepared nothing: the plan says so instead of refusing.
  const dry = await rebootStage.check({ ...context(host), dryRun: true });
  t.regex(dry.done ? '' : (dry.plan.at(-1) ?? ''), /^reboot node1 into the boot kernel-cmdline prepares \(this dry run prepares nothing: now the next boot entry .* lacks /);
});

test('skipped when /proc/cmdline already satisfies the plan and the drivers are loaded', async (t) => {
  const host = node(after, lsmodBoth);
  t.deepEqual(await rebootStage.check(context(host)), { done: true, reason: `skipped: /proc/cmdline already has ${PARAMS} and ixgbe, ixgbevf are loaded` });
});

test('apply leaves the reboot to the engine', async (t) => {
  const host = node(before, lsmodPf);
  await rebootStage.apply(context(host));
  t.deepEqual(host.calls, []);
  t.true(rebootStage.reboots);
});

test('after the reboot: the new boot id and cmdline are the outputs', async (t) => {
  const host = node(after, lsmodBoth);
  host.currentBootId = '6b1d2c1e-0f4f-4a55-9a0e-1d2c3b4a5f60';
  t.deepEqual(await rebootStage.verify(context(host)), { bootId: '6b1d2c1e-0f4f-4a55-9a0e-1d2c3b4a5f60', cmdline: after.trim() });
});

test('a boot that ignored the new grub config is a diagnosis, not a retry', async (t) => {
  const host = node(before.replace('quiet', 'quiet intel_iommu=off'), lsmodBoth, { iommu: '' });
  const error = await t.throwsAsync(rebootStage.verify(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: after the reboot /proc/cmdline lacks iommu=pt (absent), default_hugepagesz=2M (absent), hugepagesz=2M (absent), ixgbe.max_vfs=4,4 (absent), intel_iommu=on (found intel_iommu=off): the bootloader did not use the new configuration — check GRUB_DEFAULT / the boot entry');
});

test('the new cmdline asks for the IOMMU and none appears: VT-d is off in the BIOS', async (t) => {
  // The lab node after its reboot: its kernel has no IOMMU to show.
  const host = node(after, lsmodBoth, { iommu: '' });
  const error = await t.throwsAsync(rebootStage.verify(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: VT-d is disabled in the BIOS: /proc/cmdline has intel_iommu=on iommu=pt but no IOMMU is active (/sys/class/iommu is empty)');
});

test('drivers not loaded yet after the boot: not ready (verify is retried)', async (t) => {
  const host = node(after, lsmodNone);
  const error = await t.throwsAsync(rebootStage.verify(context(host)), { instanceOf: NotReadyError });
  t.is(error?.message, 'ixgbe, ixgbevf not loaded yet');
});

const driverBuild = { 'driver-build': { source: 'tarball', kernel: '6.18.44-fc-v595', modules: [{ module: 'ixgbe', version: '5.19.6', tarball: 'ixgbe-5.19.6.tar.gz', sha256: 'x' }] } };

test('the in-kernel ixgbe still loaded after driver-build installed 5.19.6: reboot, and after it the initramfs is suspect', async (t) => {
  const host = node(after, lsmodBoth, { sysModules: ['ixgbe', 'ixgbevf'] });
  t.deepEqual(await rebootStage.check(context(host, driverBuild)), {
    done: false,
    plan: ['why: ixgbe (in-kernel) is loaded, 5.19.6 is installed: the boot loads the new one', 'reboot node1 and wait for the new boot'],
  });
  const error = await t.throwsAsync(rebootStage.verify(context(host, driverBuild)), { instanceOf: FatalError });
  t.regex(error?.hint ?? '', /update-initramfs -u/);
  host.files.set('/sys/module/ixgbe/version', { content: '5.19.6\n', mode: 0o444 });
  t.true((await rebootStage.check(context(host, driverBuild))).done);
});

test('a kernel that shows no /sys/module entry for the driver: its version cannot be compared', async (t) => {
  t.true((await rebootStage.check(context(node(after, lsmodBoth), driverBuild))).done);
});
