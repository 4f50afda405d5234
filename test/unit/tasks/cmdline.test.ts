// kernel-cmdline's plain method (trialBoot: false): GRUB_CMDLINE_LINUX edited and grub.cfg
// regenerated at once. The trial boot is in stage-cmdline-trial.test.ts.
import test from 'ava';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { labNodePlan } from '../../helpers/plans.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { CommandError, FatalError } from '../../../core/errors.ts';
import { kernelCmdlineStage } from '../../../tasks/kernel-cmdline.ts';
import { describeEdit, editGrubDefaults, planEdit } from '../../../node/boot/grub-defaults.ts';
import { nodeDistro } from '../../../node/facts/distro.ts';
import { parseOsRelease } from '../../../node/parse/os-release.ts';
import type { StageContext, StageOutputs } from '../../../engine/stage.ts';
import { DETECT_BOOT_METHOD } from '../../../node/boot/boot-method.ts';

const PAPER_PARAMS = 'intel_iommu=off default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8';
const stock = fixture('stages/cmdline/default-grub-debian12.txt');
const configured = fixture('stages/cmdline/default-grub-debian12-configured.txt');
const freshCfg = fixture('stages/cmdline/grub-debian12-fresh.cfg');
const configuredCfg = fixture('stages/cmdline/grub-debian12-configured.cfg');

function plan(iommu = 'off', vfCreation = 'max_vfs'): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: ${iommu}
    trialBoot: false
    hugepages: { count: 1024 }
    pfs:
      - { name: enp4s0f0, vfs: 8, vfCreation: ${vfCreation} }
      - { name: enp4s0f1, vfs: 8, vfCreation: ${vfCreation} }
`, '/tmp/inventory.yaml').hosts[0]!;
}

function context(host: FakeHost, p: HostPlan = plan(), osRelease = 'stages/bios/os-release-debian12.txt'): StageContext & { lines: string[] } {
  const lines: string[] = [];
  // What bios-verify recorded on the node.
  const outputs: Record<string, StageOutputs> = { 'bios-verify': { distro: nodeDistro(parseOsRelease(fixture(osRelease))) } };
  return { host, plan: p, outputs, log: (l) => lines.push(l), signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state', lines };
}

/** A Debian 12 node booted by BIOS (no /sys/firmware/efi), update-grub regenerating from `cfgAfter`. */
function node(files: Record<string, string>, cfgAfter: (host: FakeHost) => string = () => configuredCfg): FakeHost {
  const host = new FakeHost('node1', files);
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: '' });
  host.on(['update-grub'], () => {
    host.files.set('/boot/grub/grub.cfg', { content: cfgAfter(host), mode: 0o644 });
    return { stderr: fixture('stages/cmdline/update-grub.stderr') };
  });
  return host;
}

test('the example plan gives the paper\'s cmdline', (t) => {
  t.is(plan().kernelParams.join(' '), PAPER_PARAMS);
});

test('a configured node is done: /etc/default/grub and the default entry have the params', async (t) => {
  const host = node({ '/etc/default/grub': configured, '/boot/grub/grub.cfg': configuredCfg });
  const result = await kernelCmdlineStage.check(context(host));
  t.like(result, { done: true, reason: `/etc/default/grub and the default boot entry "Debian GNU/Linux" have ${PAPER_PARAMS}` });
  // What verify would record, from the same look: the boot method and the edit.
  t.like(result.done ? result.outputs : {}, { method: 'default', bootMethod: 'grub-defaults', paramsFile: '/etc/default/grub', add: PAPER_PARAMS.split(' ') });
  t.false(host.calls.some((c) => c.kind === 'writeFile'));
});

test('a fresh node: the plan and the diff of /etc/default/grub', async (t) => {
  const host = node({ '/etc/default/grub': stock, '/boot/grub/grub.cfg': freshCfg });
  const result = await kernelCmdlineStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    `/etc/default/grub: add ${PAPER_PARAMS} to GRUB_CMDLINE_LINUX`,
    'keep the original as /etc/default/grub.sriov-lxc.bak',
    'regenerate /boot/grub/grub.cfg: update-grub',
  ]);
  t.is(result.diffs?.[0]?.path, '/etc/default/grub');
  t.is(result.diffs?.[0]?.diff, [
    '--- a/etc/default/grub',
    '+++ b/etc/default/grub',
    '@@ -7,7 +7,7 @@',
    ' GRUB_TIMEOUT=5',
    ' GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`',
    ' GRUB_CMDLINE_LINUX_DEFAULT="quiet"',
    '-GRUB_CMDLINE_LINUX=""',
    `+GRUB_CMDLINE_LINUX="${PAPER_PARAMS}"`,
    ' ',
    ' # If your computer has multiple operating systems installed, then you',
    ' # probably want to run os-prober. However, if your computer is a host',
    '',
  ].join('\n'));
});

test('apply keeps a backup, edits GRUB_CMDLINE_LINUX, runs update-grub; then check is done', async (t) => {
  const host = node({ '/etc/default/grub': stock, '/boot/grub/grub.cfg': freshCfg });
  const ctx = context(host);
  await kernelCmdlineStage.apply(ctx);
  t.is(host.files.get('/etc/default/grub.sriov-lxc.bak')?.content, stock);
  t.is(host.files.get('/etc/default/grub')?.content, configured);
  t.deepEqual(host.commands.filter((c) => c !== 'test -d /sys/firmware/efi' && !c.startsWith('sh -c')), ['update-grub']);
  const outputs = await kernelCmdlineStage.verify(ctx);
  t.like(outputs, { method: 'default', grubCfg: '/boot/grub/grub.cfg', entry: 'Debian GNU/Linux', chosenBy: 'GRUB_DEFAULT=0', backup: '/etc/default/grub.sriov-lxc.bak' });
  t.is(outputs.params, `root=/dev/vda1 ro ${PAPER_PARAMS} quiet`);
  t.true((await kernelCmdlineStage.check(ctx)).done);
});

test('the backup is written once: a second change keeps the original', async (t) => {
  const host = node({ '/etc/default/grub': configured, '/etc/default/grub.sriov-lxc.bak': stock, '/boot/grub/grub.cfg': configuredCfg });
  t.is(plan('pt').kernelParams.join(' '), 'intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8');
  const ctx = context(host, plan('pt'));
  const result = await kernelCmdlineStage.check(ctx);
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    '/etc/default/grub: add iommu=pt to GRUB_CMDLINE_LINUX',
    '/etc/default/grub: set intel_iommu=on instead of intel_iommu=off',
    'regenerate /boot/grub/grub.cfg: update-grub',
  ]);
  await kernelCmdlineStage.apply(ctx);
  t.is(host.files.get('/etc/default/grub.sriov-lxc.bak')?.content, stock);
  // intel_iommu=off is replaced in place, not added a second time.
  t.regex(host.files.get('/etc/default/grub')?.content ?? '', /^GRUB_CMDLINE_LINUX="intel_iommu=on default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8 iommu=pt"$/m);
});

test('params already in /etc/default/grub but grub.cfg not regenerated: only update-grub is planned', async (t) => {
  const host = node({ '/etc/default/grub': configured, '/boot/grub/grub.cfg': freshCfg });
  const result = await kernelCmdlineStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    `why: the default boot entry "Debian GNU/Linux" (GRUB_DEFAULT=0) lacks ${PAPER_PARAMS}`,
    'regenerate /boot/grub/grub.cfg: update-grub',
  ]);
  t.deepEqual(result.diffs, []);
});

test('a one-shot next_entry into a hand-written entry is what the next boot starts', async (t) => {
  const host = node({
    '/etc/default/grub': configured,
    '/boot/grub/grub.cfg': fixture('stages/cmdline/grub-debian12-configured-custom-entry.cfg'),
    '/boot/grub/grubenv': fixture('stages/cmdline/grubenv-next-entry-intel-setup'),
  });
  const result = await kernelCmdlineStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.is(result.plan[0], `why: the next boot entry "Debian GNU/Linux 6.1.0-21 Intel setup" (next_entry=intel-setup (one-shot) in grubenv) lacks ${PAPER_PARAMS}`);
});

test('GRUB_DEFAULT pointing at a hand-written entry (the paper\'s 40_custom): verify says why', async (t) => {
  const customCfg = fixture('stages/cmdline/grub-debian12-custom-default.cfg');
  const host = node({ '/etc/default/grub': fixture('stages/cmdline/default-grub-debian12-custom-default.txt'), '/boot/grub/grub.cfg': customCfg }, () => customCfg);
  const ctx = context(host);
  await kernelCmdlineStage.apply(ctx);
  const error = await t.throwsAsync(kernelCmdlineStage.verify(ctx), { instanceOf: FatalError });
  t.is(error?.message, `node1: after update-grub, the default boot entry "Debian GNU/Linux 6.1.0-21 Intel setup" (GRUB_DEFAULT=intel-setup) lacks ${PAPER_PARAMS}`);
  t.regex(error?.hint ?? '', /40_custom/);
});

test('update-grub failing: the error names the command, keeps its stderr and points at the backup', async (t) => {
  const host = new FakeHost('node1', { '/etc/default/grub': stock, '/boot/grub/grub.cfg': freshCfg });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: '' });
  host.on(['update-grub'], { code: 1, stderr: fixture('stages/cmdline/update-grub-grub-probe-fails.stderr') });
  const error = await t.throwsAsync(kernelCmdlineStage.apply(context(host)), { instanceOf: CommandError });
  t.is(error?.message, 'update-grub failed on node1 (exit 1)');
  t.is(error?.stderrTail, "/usr/sbin/grub-probe: error: failed to get canonical path of `tmpfs'.");
  t.regex(error?.hint ?? '', /grub\.sriov-lxc\.bak/);
});

test('values in GRUB_CMDLINE_LINUX_DEFAULT that would override the plan are removed there', (t) => {
  const before = stock
    .replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on iommu=pt splash"')
    .replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="console=ttyS0,115200 intel_iommu=on"');
  const edit = editGrubDefaults(before, plan());
  t.true(edit.changed);
  t.regex(edit.text, /^GRUB_CMDLINE_LINUX="console=ttyS0,115200 intel_iommu=off default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8"$/m);
  t.regex(edit.text, /^GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"$/m);
  t.deepEqual(editGrubDefaults(edit.text, plan()), { text: edit.text, changed: false });
});

test('VFs through sysfs: a left-over max_vfs is removed (it would create the VFs first)', (t) => {
  const edit = editGrubDefaults(configured, plan('off', 'sysfs'));
  t.regex(edit.text, /^GRUB_CMDLINE_LINUX="intel_iommu=off default_hugepagesz=2M hugepagesz=2M"$/m);
  t.deepEqual(describeEdit(configured, planEdit(plan('off', 'sysfs'))), ['remove ixgbe.max_vfs (contradicts the plan)']);
});

test('no /etc/default/grub: a diagnosis, not a crash', async (t) => {
  const host = node({});
  const error = await t.throwsAsync(kernelCmdlineStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1 has no /etc/default/grub');
});

const LAB_PARAMS = 'intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4,4';
const labPlan = (): HostPlan => labNodePlan({ trialBoot: false });

test('a CentOS 7 lab node: grub2-mkconfig, GRUB_DEFAULT=saved with no saved entry boots the first one', async (t) => {
  const host = new FakeHost('node1', {
    '/etc/default/grub': fixture('stages/cmdline/default-grub-lab-centos7.txt'),
    '/boot/grub2/grub.cfg': fixture('stages/cmdline/grub2-lab-centos7-fresh.cfg'),
    '/boot/grub2/grubenv': fixture('stages/cmdline/grubenv-lab-centos7-empty'),
  });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: '' });
  host.on(['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg'], () => {
    host.files.set('/boot/grub2/grub.cfg', { content: fixture('stages/cmdline/grub2-lab-centos7-configured.cfg'), mode: 0o644 });
    return { stderr: fixture('stages/cmdline/grub2-mkconfig-lab.stderr') };
  });
  const ctx = context(host, labPlan(), 'stages/bios/os-release-centos7.txt');
  const result = await kernelCmdlineStage.check(ctx);
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    `/etc/default/grub: add ${LAB_PARAMS} to GRUB_CMDLINE_LINUX`,
    'keep the original as /etc/default/grub.sriov-lxc.bak',
    'regenerate /boot/grub2/grub.cfg: grub2-mkconfig -o /boot/grub2/grub.cfg',
  ]);
  await kernelCmdlineStage.apply(ctx);
  t.is(host.files.get('/etc/default/grub')?.content, fixture('stages/cmdline/default-grub-lab-centos7-configured.txt'));
  t.like(await kernelCmdlineStage.verify(ctx), {
    grubCfg: '/boot/grub2/grub.cfg',
    entry: 'CentOS Linux GNU/Linux, with Linux 6.18.44-fc-v595',
    chosenBy: 'GRUB_DEFAULT=saved, saved_entry=0',
  });
  t.true((await kernelCmdlineStage.check(ctx)).done);
});

test('CentOS 7 booted by UEFI: grub2-mkconfig writes the grub.cfg on the ESP', async (t) => {
  const host = new FakeHost('node1', { '/etc/default/grub': fixture('stages/cmdline/default-grub-lab-centos7.txt') });
  host.on(['test', '-d', '/sys/firmware/efi'], {});
  host.on([...DETECT_BOOT_METHOD], { stdout: '' });
  host.on((argv) => argv[0] === 'grub2-mkconfig', {});
  const ctx = context(host, labPlan(), 'stages/bios/os-release-centos7.txt');
  const result = await kernelCmdlineStage.check(ctx);
  if (result.done) return t.fail('expected a plan');
  t.is(result.plan.at(-1), 'regenerate /boot/efi/EFI/centos/grub.cfg: grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg');
  await kernelCmdlineStage.apply(ctx);
  t.deepEqual(host.commands.filter((c) => c.startsWith('grub2')), ['grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg']);
});
