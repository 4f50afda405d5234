import test from 'ava';
import { FakeHost, fixture } from '../helpers/fake-host.ts';
import { parseInventory } from '../../workflows/inventory/load.ts';
import type { HostPlan } from '../../workflows/inventory/plan.ts';
import { FatalError, NotReadyError } from '../../workflows/engine/errors.ts';
import { rebootStage } from '../../tasks/reboot/stage.ts';
import type { StageContext, StageOutputs } from '../../tasks/stage.ts';

const PARAMS = 'intel_iommu=off default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8';
const vmCmdline = fixture('stages/reboot/proc-cmdline-vm.txt');
const configuredCmdline = fixture('stages/reboot/proc-cmdline-configured.txt');
const lsmodBoth = fixture('parse/lsmod-ixgbe.txt');
const lsmodNone = lsmodBoth.split('\n').filter((l) => !/^ixgbe/.test(l)).join('\n');

const plan: HostPlan = parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: off
    hugepages: { count: 1024 }
    pfs:
      - { name: enp4s0f0, vfs: 8 }
      - { name: enp4s0f1, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!;

function context(host: FakeHost, outputs: Record<string, StageOutputs> = {}): StageContext {
  return { host, plan, outputs, log: () => {}, signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state' };
}

/** `sysModules`: the modules the kernel lists under /sys/module. */
function node(cmdline: string, lsmod: string, sysModules: string[] = []): FakeHost {
  const host = new FakeHost('node1', { '/proc/cmdline': cmdline });
  host.on(['lsmod'], { stdout: lsmod });
  host.on((argv) => argv[0] === 'test' && argv[1] === '-d' && String(argv[2]).startsWith('/sys/module/'), (argv) => ({
    code: sysModules.includes(String(argv[2]).slice('/sys/module/'.length)) ? 0 : 1,
  }));
  return host;
}

test('the running boot lacks the params: the plan says which', async (t) => {
  const host = node(vmCmdline, lsmodNone);
  t.deepEqual(await rebootStage.check(context(host)), {
    done: false,
    plan: [
      'reboot node1:',
      '  the kernel cmdline lacks intel_iommu=off (absent), default_hugepagesz=2M (absent), hugepagesz=2M (absent), ixgbe.max_vfs=8,8 (absent)',
      '  ixgbe, ixgbevf not loaded: the boot loads them from /etc/modules-load.d',
    ],
  });
});

test('skipped when /proc/cmdline already satisfies the plan and the drivers are loaded', async (t) => {
  const host = node(configuredCmdline, lsmodBoth);
  t.deepEqual(await rebootStage.check(context(host)), { done: true, reason: `skipped: /proc/cmdline already has ${PARAMS} and ixgbe, ixgbevf are loaded` });
});

test('apply leaves the reboot to the engine', async (t) => {
  const host = node(vmCmdline, lsmodNone);
  await rebootStage.apply(context(host));
  t.deepEqual(host.calls, []);
  t.true(rebootStage.reboots);
});

test('after the reboot: the new boot id and cmdline are the outputs', async (t) => {
  const host = node(configuredCmdline, lsmodBoth);
  host.currentBootId = '6b1d2c1e-0f4f-4a55-9a0e-1d2c3b4a5f60';
  t.deepEqual(await rebootStage.verify(context(host)), { bootId: '6b1d2c1e-0f4f-4a55-9a0e-1d2c3b4a5f60', cmdline: configuredCmdline.trim() });
});

test('a boot that ignored the new grub config is a diagnosis, not a retry', async (t) => {
  const host = node(vmCmdline.replace('quiet', 'quiet intel_iommu=on'), lsmodBoth);
  const error = await t.throwsAsync(rebootStage.verify(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: after the reboot /proc/cmdline lacks default_hugepagesz=2M (absent), hugepagesz=2M (absent), ixgbe.max_vfs=8,8 (absent), intel_iommu=off (found intel_iommu=on): the bootloader did not use the new configuration — check GRUB_DEFAULT / the boot entry');
});

test('drivers not loaded yet after the boot: not ready (verify is retried)', async (t) => {
  const host = node(configuredCmdline, lsmodNone);
  const error = await t.throwsAsync(rebootStage.verify(context(host)), { instanceOf: NotReadyError });
  t.is(error?.message, 'ixgbe, ixgbevf not loaded yet');
});

test('the in-kernel ixgbe still loaded after driver-build installed 5.19.6: reboot, and after it the initramfs is suspect', async (t) => {
  const driverBuild = { 'driver-build': { source: 'tarball', kernel: '6.1.0-21-amd64', modules: [{ module: 'ixgbe', version: '5.19.6', tarball: 'ixgbe-5.19.6.tar.gz', sha256: 'x' }] } };
  const host = node(configuredCmdline, lsmodBoth, ['ixgbe', 'ixgbevf']);
  const result = await rebootStage.check(context(host, driverBuild));
  t.deepEqual(result, { done: false, plan: ['reboot node1:', '  ixgbe (in-kernel) is loaded, 5.19.6 is installed: the boot loads the new one'] });
  const error = await t.throwsAsync(rebootStage.verify(context(host, driverBuild)), { instanceOf: FatalError });
  t.regex(error?.hint ?? '', /update-initramfs -u/);
  host.files.set('/sys/module/ixgbe/version', { content: '5.19.6\n', mode: 0o444 });
  t.true((await rebootStage.check(context(host, driverBuild))).done);
});

test('a kernel that shows no /sys/module entry for the driver: its version cannot be compared', async (t) => {
  const driverBuild = { 'driver-build': { source: 'tarball', kernel: '6.1.0-21-amd64', modules: [{ module: 'ixgbe', version: '5.19.6', tarball: 'ixgbe-5.19.6.tar.gz', sha256: 'x' }] } };
  t.true((await rebootStage.check(context(node(configuredCmdline, lsmodBoth), driverBuild))).done);
});
