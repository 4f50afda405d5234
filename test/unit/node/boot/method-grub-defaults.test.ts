// The GRUB_CMDLINE_LINUX method (node/boot/method-grub-defaults.ts) one part at a time, on a real
// CentOS 7 /etc/default/grub (test/fixtures/real/SOURCES.md: an SR-IOV/VFIO host with
// intel_iommu=on and iommu=pt already set) and a plan with `iommu: on`, so provisioning both adds
// params and takes iommu=pt off: what the file becomes each way, the plan lines, the writes and
// their order (the backup last), and what a failing grub2-mkconfig leaves said. Expected texts
// are written out by hand from the file.
import test from 'ava';
import { CommandError } from '../../../../core/errors.ts';
import type { BootEntry } from '../../../../node/boot/boot-entry.ts';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP } from '../../../../node/boot/grub-defaults.ts';
import { grubDefaultsMethod } from '../../../../node/boot/method-grub-defaults.ts';
import type { BootConfig, Entries, ParamsFile } from '../../../../node/boot/method.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';
import { iommuOnPlan } from '../../../helpers/plans.ts';

const CENTOS = fixture('real/grub-default/default-grub-centos-7-iommu-vfio.txt');
const LINUX = 'crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1 iommu=pt vfio-pci.ids=10de:1cb1,10de:0fb9';
const LINUX_EDITED = 'crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1 vfio-pci.ids=10de:1cb1,10de:0fb9 default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4';
const EDITED = CENTOS.replace(LINUX, LINUX_EDITED);
const OURS = ['default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4'];
const MKCONFIG = ['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg'];


function node(files: Record<string, string>, mkconfigFails = false): FakeHost {
  const host = new FakeHost('node1', files);
  host.on(MKCONFIG, mkconfigFails ? { code: 1, stderr: "/usr/sbin/grub2-probe: error: failed to get canonical path of `/dev/root'.\n" } : {});
  host.on(['rm', '-f', '--', GRUB_DEFAULTS_BACKUP], () => {
    host.files.delete(GRUB_DEFAULTS_BACKUP);
    return {};
  });
  return host;
}

const NO_ENTRIES: Entries = { entries: [], next: undefined, standing: undefined };
const paramsFile = (host: FakeHost, direction: 'add' | 'remove'): Promise<ParamsFile> =>
  grubDefaultsMethod.paramsFile(host, iommuOnPlan(), direction, NO_ENTRIES, { path: '/boot/grub2/grubenv', env: {} });

const entry = (title: string, params: string, chosenBy: string): BootEntry => ({ entry: { title, id: title, index: 0, submenus: [], kernel: '/vmlinuz', params }, chosenBy });
const booted = entry('CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)', `ro ${LINUX_EDITED}`, 'GRUB_DEFAULT=saved, saved_entry unset: the first entry');

function config(params: ParamsFile, direction: 'add' | 'remove', entries: Partial<Entries> = {}): BootConfig {
  return {
    method: grubDefaultsMethod,
    direction,
    commands: { mkconfig: MKCONFIG, reboot: 'grub2-reboot', editenv: 'grub2-editenv', setDefault: 'grub2-set-default', grubenvPath: '/boot/grub2/grubenv', grubCfgPath: '/boot/grub2/grub.cfg' },
    params,
    cfg: '',
    grubenvText: '',
    env: {},
    entries: { entries: [], standing: booted, next: booted, ...entries },
    trialScript: undefined,
    entriesShortfall: undefined,
  };
}

const TAIL = 'regenerate /boot/grub2/grub.cfg: grub2-mkconfig -o /boot/grub2/grub.cfg';

test('provisioning: the params into GRUB_CMDLINE_LINUX, iommu=pt out; the original kept once, before the edit', async (t) => {
  const host = node({ [GRUB_DEFAULTS]: CENTOS });
  const file = await paramsFile(host, 'add');
  t.deepEqual(file, { path: GRUB_DEFAULTS, current: CENTOS, target: EDITED, edit: { add: iommuOnPlan().kernelParams, remove: ['iommu=pt'] }, how: 'edit', backup: GRUB_DEFAULTS_BACKUP, notes: [] });
  t.deepEqual(await grubDefaultsMethod.describeCommit(host, config(file, 'add')), [
    `${GRUB_DEFAULTS}: add ${OURS.join(' ')} to GRUB_CMDLINE_LINUX`,
    `${GRUB_DEFAULTS}: remove iommu=pt (contradicts the plan)`,
    `keep the original as ${GRUB_DEFAULTS_BACKUP}`,
    TAIL,
  ]);
  await grubDefaultsMethod.commit(host, config(file, 'add'));
  t.deepEqual(host.files.get(GRUB_DEFAULTS), { content: EDITED, mode: 0o644 });
  t.is(host.files.get(GRUB_DEFAULTS_BACKUP)?.content, CENTOS);
  t.deepEqual(host.calls.filter((c) => c.kind !== 'readFile').map((c) => c.path ?? c.line), [GRUB_DEFAULTS_BACKUP, GRUB_DEFAULTS, MKCONFIG.join(' ')]);
  // With the backup there, the plan does not promise another.
  t.false((await grubDefaultsMethod.describeCommit(host, config(file, 'add'))).includes(`keep the original as ${GRUB_DEFAULTS_BACKUP}`));
});

test('provisioning with the file already edited: only the regeneration, and why (the default entry, or a one-shot next entry, lacks the params)', async (t) => {
  const host = node({ [GRUB_DEFAULTS]: EDITED, [GRUB_DEFAULTS_BACKUP]: CENTOS });
  const file = await paramsFile(host, 'add');
  t.is(file.target, file.current);
  const old = entry('CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)', `ro ${LINUX}`, 'GRUB_DEFAULT=saved, saved_entry unset: the first entry');
  t.deepEqual(await grubDefaultsMethod.describeCommit(host, config(file, 'add', { standing: old, next: old })), [
    `why: the default boot entry "CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)" (GRUB_DEFAULT=saved, saved_entry unset: the first entry) lacks ${OURS.join(' ')}`,
    TAIL,
  ]);
  const oneShot = entry('rescue', `ro ${LINUX}`, 'next_entry=rescue (one-shot) in grubenv');
  t.deepEqual(await grubDefaultsMethod.describeCommit(host, config(file, 'add', { next: oneShot })), [
    `why: the next boot entry "rescue" (next_entry=rescue (one-shot) in grubenv) lacks ${OURS.join(' ')}`,
    TAIL,
  ]);
  t.deepEqual(await grubDefaultsMethod.describeCommit(host, config(file, 'add')), [TAIL]);
  await grubDefaultsMethod.commit(host, config(file, 'add'));
  t.deepEqual(host.commands, [MKCONFIG.join(' ')], 'nothing written, grub.cfg regenerated');
});

test('teardown of the file as provisioning left it: the backup back (0644), removed only after grub2-mkconfig ran', async (t) => {
  const host = node({ [GRUB_DEFAULTS]: EDITED, [GRUB_DEFAULTS_BACKUP]: CENTOS });
  const file = await paramsFile(host, 'remove');
  t.deepEqual(file, { path: GRUB_DEFAULTS, current: EDITED, target: CENTOS, edit: { add: ['iommu=pt'], remove: OURS }, how: 'restore', backup: GRUB_DEFAULTS_BACKUP, notes: [] });
  t.deepEqual(await grubDefaultsMethod.describeCommit(host, config(file, 'remove')), [`${GRUB_DEFAULTS}: restore from ${GRUB_DEFAULTS_BACKUP}`, TAIL, `remove ${GRUB_DEFAULTS_BACKUP}`]);
  host.files.set(GRUB_DEFAULTS, { content: EDITED, mode: 0o600 });
  await grubDefaultsMethod.commit(host, config(file, 'remove'));
  t.deepEqual(host.files.get(GRUB_DEFAULTS), { content: CENTOS, mode: 0o644 });
  t.false(host.files.has(GRUB_DEFAULTS_BACKUP));
  t.deepEqual(host.commands, [MKCONFIG.join(' '), `rm -f -- ${GRUB_DEFAULTS_BACKUP}`]);
});

test('teardown whose grub2-mkconfig fails: the file is restored, the backup kept, and the hint says so', async (t) => {
  const host = node({ [GRUB_DEFAULTS]: EDITED, [GRUB_DEFAULTS_BACKUP]: CENTOS }, true);
  const file = await paramsFile(host, 'remove');
  const error = await t.throwsAsync<CommandError>(grubDefaultsMethod.commit(host, config(file, 'remove')), { instanceOf: CommandError });
  t.is(host.files.get(GRUB_DEFAULTS)?.content, CENTOS);
  t.is(host.files.get(GRUB_DEFAULTS_BACKUP)?.content, CENTOS);
  t.regex(error?.hint ?? '', /\/etc\/default\/grub is already restored \(\/etc\/default\/grub\.sriov-lxc\.bak is kept until grub\.cfg is regenerated\): run again/);
  // The backup restored already: restored again from it, and still removed only after the regeneration.
  const again = await paramsFile(host, 'remove');
  t.like(again, { how: 'restore', current: CENTOS, target: CENTOS });
});

test('teardown of a file the operator changed since: only our params off, iommu=pt not put back, the backup kept, named in the report', async (t) => {
  const changed = EDITED.replace('GRUB_TIMEOUT=5', 'GRUB_TIMEOUT=10');
  const host = node({ [GRUB_DEFAULTS]: changed, [GRUB_DEFAULTS_BACKUP]: CENTOS }, true);
  const file = await paramsFile(host, 'remove');
  const target = changed.replace(LINUX_EDITED, 'crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1 vfio-pci.ids=10de:1cb1,10de:0fb9');
  t.deepEqual(file, {
    path: GRUB_DEFAULTS, current: changed, target, edit: { add: [], remove: OURS }, how: 'strip', notes: [],
    kept: `changed since sriov-lxc wrote it: left in place without sriov-lxc's params ${OURS.join(' ')} (the original is in ${GRUB_DEFAULTS_BACKUP})`,
  });
  t.deepEqual(await grubDefaultsMethod.describeCommit(host, config(file, 'remove')), [
    `${GRUB_DEFAULTS}: take ${OURS.join(' ')} off (the file changed since sriov-lxc wrote it; the rest stays)`,
    TAIL,
  ]);
  const error = await t.throwsAsync<CommandError>(grubDefaultsMethod.commit(host, config(file, 'remove')), { instanceOf: CommandError });
  t.is(host.files.get(GRUB_DEFAULTS)?.content, target);
  t.regex(error?.hint ?? '', /\/etc\/default\/grub is already restored \(the original is in \/etc\/default\/grub\.sriov-lxc\.bak\): run again/);
  t.is(host.files.get(GRUB_DEFAULTS_BACKUP)?.content, CENTOS);
});

test('teardown with no backup (sriov-lxc never wrote the file): nothing written; the plan\'s params the node does not have are to stay off', async (t) => {
  const host = node({ [GRUB_DEFAULTS]: CENTOS });
  const file = await paramsFile(host, 'remove');
  t.deepEqual(file, { path: GRUB_DEFAULTS, current: CENTOS, target: CENTOS, edit: { add: [], remove: OURS }, how: 'nothing', notes: [] });
  t.deepEqual(await grubDefaultsMethod.describeCommit(host, config(file, 'remove')), [TAIL]);
  await grubDefaultsMethod.commit(host, config(file, 'remove'));
  t.deepEqual(host.calls.filter((c) => c.kind === 'writeFile'), []);
  t.deepEqual(host.commands, [MKCONFIG.join(' ')]);
});

test('provisioning whose grub2-mkconfig fails: the hint says the file is edited and where its original is', async (t) => {
  const host = node({ [GRUB_DEFAULTS]: CENTOS }, true);
  const file = await paramsFile(host, 'add');
  const error = await t.throwsAsync<CommandError>(grubDefaultsMethod.commit(host, config(file, 'add')), { instanceOf: CommandError });
  t.regex(error?.hint ?? '', /\/etc\/default\/grub is already edited \(the original is in \/etc\/default\/grub\.sriov-lxc\.bak\): run again/);
});

test('what paramsFile reads is all in the method\'s batched reads', async (t) => {
  const host = node({ [GRUB_DEFAULTS]: EDITED, [GRUB_DEFAULTS_BACKUP]: CENTOS });
  for (const direction of ['add', 'remove'] as const) await paramsFile(host, direction);
  const reads = grubDefaultsMethod.reads.map((r) => ('file' in r ? r.file : ''));
  t.deepEqual([...new Set(host.calls.map((c) => c.path))].sort(), [...reads].sort());
});
