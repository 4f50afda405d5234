// BIOS faults: with VT-x or SR-IOV disabled, bios-verify stops the run before anything on the
// node is changed.
import test from 'ava';
import { labFault } from '../../lab/index.ts';
import { NODE, describeRun, hostReport, nodeFiles, onlyWithoutBenchmark, provisionArgs, runCli, stageOf, useLab } from '../helpers/lab-fixture.ts';

const lab = useLab(test, 'centos7');

/** What the stages after bios-verify write: grub, modules, sysctl, fstab, drivers, containers, units. */
const TOUCHED = [
  '/etc/default/grub',
  '/boot',
  '/etc/modules-load.d',
  '/etc/sysctl.d',
  '/etc/fstab',
  '/usr/lib/modules',
  '/var/lib/lxc',
  '/etc/systemd/system',
  '/usr/local/sbin',
  '/var/lib/sriov-lxc',
];

/** The lines of a nodeFiles listing about `path` or below it. */
function linesAbout(listing: string, path: string): string[] {
  return listing.split('\n').filter((l) => l.split(' ').some((w) => w === path || w.startsWith(`${path}/`)));
}

for (const [fault, message] of [
  ['vt-disabled', /VT-x is disabled in the BIOS/],
  ['sriov-disabled', /SR-IOV disabled in BIOS for 0000:04:00\.0 \(enp4s0f0\)/],
] as const) {
  test.serial(`lab: ${fault}: bios-verify fails with a diagnosis, nothing on the node changed`, async (t) => {
    t.timeout(60_000);
    await labFault(lab().dir, NODE, fault, true);
    t.teardown(() => labFault(lab().dir, NODE, fault, false));
    const before = await nodeFiles(lab(), TOUCHED);

    const run = await runCli('provision', provisionArgs(lab(), ...onlyWithoutBenchmark()));
    t.is(run.code, 1, describeRun(run));
    const report = hostReport(run);
    t.is(report.failedStage, 'bios-verify');
    const bios = stageOf(report, 'bios-verify');
    t.is(bios.status, 'failed');
    t.regex(bios.error?.message ?? '', message);
    t.truthy(bios.error?.hint, 'a hint a person can act on');
    t.deepEqual(report.stages.map((s) => s.id), ['bios-verify'], 'no stage after bios-verify ran');

    t.is(await nodeFiles(lab(), TOUCHED), before, 'grub, modules, sysctl, fstab, drivers, containers and units are as they were');
  });
}

test.serial('lab: with the faults cleared the same command provisions the node, and the listing shows it', async (t) => {
  t.timeout(120_000);
  const before = await nodeFiles(lab(), TOUCHED);
  const run = await runCli('provision', provisionArgs(lab(), ...onlyWithoutBenchmark()));
  t.is(run.code, 0, describeRun(run));
  t.true(hostReport(run).ok);
  // The listing the fault tests compare does see what provisioning writes.
  const after = await nodeFiles(lab(), TOUCHED);
  for (const path of ['/etc/default/grub', '/etc/modules-load.d', '/etc/sysctl.d', '/etc/fstab', '/var/lib/lxc', '/usr/lib/modules']) {
    t.notDeepEqual(linesAbout(after, path), linesAbout(before, path), `the listing sees provisioning change ${path}`);
  }
  t.not(after, before);
});
