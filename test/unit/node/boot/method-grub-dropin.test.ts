// The grub.d drop-in method (node/boot/method-grub-dropin.ts) one part at a time, on the files of
// real Debian and Ubuntu nodes (test/fixtures/real/SOURCES.md: Ubuntu 22.04's /etc/default/grub
// from OVHcloud's image, Ubuntu's 50-cloudimg-settings.cfg, Debian 12's kdump-tools.cfg as the
// package installs it) with the method's own probe run by the real sh (test/helpers/grub-trace.ts):
// what our drop-in carries, when the outcome is refused and whom the refusal names, our file told
// from one the operator changed, what teardown leaves, and the commit's plan lines and writes.
// Expected command lines are written out by hand from the files.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../../../../hosts/quote.ts';
import { CommandError, FatalError } from '../../../../core/errors.ts';
import type { HostPlan } from '../../../../inventory/plan.ts';
import {
  GRUB_DROPIN, describeOverrides, effectiveCmdlineOf, grubDropinMethod, isUnchangedDropin, judgeDropin, renderDropin, strippedDropin, traceGrubDefaults,
} from '../../../../node/boot/method-grub-dropin.ts';
import type { BootConfig, Entries, ParamsFile } from '../../../../node/boot/method.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';
import { isGrubTrace, runGrubTrace } from '../../../helpers/grub-trace.ts';
import { iommuOnPlan, labNodePlan } from '../../../helpers/plans.ts';

const real = (path: string): string => fixture(`real/${path}`);
const STOCK = fixture('stages/cmdline/default-grub-debian12.txt');
const OVH = real('grub-default/default-grub-ubuntu-22.04-ovh.txt');
const CLOUDIMG = '/etc/default/grub.d/50-cloudimg-settings.cfg';
const KDUMP = '/etc/default/grub.d/kdump-tools.cfg';
const CRASHKERNEL = 'crashkernel=384M-:128M';
/** labNodePlan's params (iommu: pt, 2 PFs of 4 VFs, 2M pages), written out. */
const LAB_PARAMS = 'intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4,4';


/** A node whose /etc/default files are `files`; its probe runs with the real sh. */
function node(files: Record<string, string>): FakeHost {
  const host = new FakeHost('node1', files);
  host.on(isGrubTrace, (argv) => runGrubTrace([...host.files].map(([path, f]) => [path, f.content]), argv));
  host.on(['rm', '-f', '--', GRUB_DROPIN], () => {
    host.files.delete(GRUB_DROPIN);
    return {};
  });
  return host;
}

const NO_ENTRIES: Entries = { entries: [], next: undefined, standing: undefined };
const paramsFile = (host: FakeHost, plan: HostPlan, direction: 'add' | 'remove'): Promise<ParamsFile> =>
  grubDropinMethod.paramsFile(host, plan, direction, NO_ENTRIES, { path: '/boot/grub/grubenv', env: {} });

/** Provisioning's drop-in written on `host`, as the commit writes it. */
async function provision(host: FakeHost, plan: HostPlan): Promise<string> {
  const file = await paramsFile(host, plan, 'add');
  host.files.set(GRUB_DROPIN, { content: file.target, mode: 0o644 });
  return file.target;
}

const line = (text: string, name: string): string | undefined => text.split('\n').find((l) => l.startsWith(`${name}=`));

function config(params: ParamsFile, direction: 'add' | 'remove'): BootConfig {
  return {
    method: grubDropinMethod,
    direction,
    commands: { mkconfig: ['update-grub'], reboot: 'grub-reboot', editenv: 'grub-editenv', setDefault: 'grub-set-default', grubenvPath: '/boot/grub/grubenv', grubCfgPath: '/boot/grub/grub.cfg' },
    params,
    cfg: '',
    grubenvText: '',
    env: {},
    entries: NO_ENTRIES,
    trialScript: undefined,
    entriesShortfall: undefined,
  };
}

test('the probe runs in the C locale, with our drop-in as on the node ($2 = 0) or as planned ($2 = 1, the text in $3)', async (t) => {
  const host = node({ '/etc/default/grub': STOCK });
  await traceGrubDefaults(host);
  await traceGrubDefaults(host, 'GRUB_CMDLINE_LINUX=x\n');
  const probes = host.calls.filter((c) => c.kind === 'exec');
  t.deepEqual(probes.map((c) => c.argv?.slice(4)), [[GRUB_DROPIN, '0', ''], [GRUB_DROPIN, '1', 'GRUB_CMDLINE_LINUX=x\n']]);
  t.deepEqual(probes.map((c) => c.options?.env), [{ LC_ALL: 'C' }, { LC_ALL: 'C' }]);
});

// Debian's /etc/default/grub runs `lsb_release -i -s` (GRUB_DISTRIBUTOR), a Python program: the
// probe reads the file once for both of its chains, and both still start from what it set.
test('the probe sources /etc/default/grub once for the chain without ours and the one with it, both from its values', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-probe-count-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const counter = join(dir, 'sourced');
  const host = node({
    '/etc/default/grub': `${STOCK}echo x >> ${shellQuote(counter)}\n`,
    [KDUMP]: `GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT ${CRASHKERNEL}"\n`,
  });
  const trace = await traceGrubDefaults(host, 'GRUB_CMDLINE_LINUX="ours=1"\n');
  t.is(readFileSync(counter, 'utf8'), 'x\n');
  t.is(effectiveCmdlineOf(trace, 'base'), `quiet ${CRASHKERNEL}`);
  t.is(effectiveCmdlineOf(trace, 'full'), `ours=1 quiet ${CRASHKERNEL}`);
});

test('Ubuntu 22.04 (OVHcloud) with the cloud image\'s drop-in and kdump-tools: ours keeps their values, takes iommu=pt off for iommu: on, and teardown puts it back', async (t) => {
  const host = node({ '/etc/default/grub': OVH, [CLOUDIMG]: real('grub-d/50-cloudimg-settings-ubuntu-rackspace.cfg'), [KDUMP]: real('grub-d/kdump-tools-debian-12-package.cfg') });
  const plan = iommuOnPlan();
  const trace = await traceGrubDefaults(host);
  // kdump-tools.cfg is read after ours and adds to it: only the cloud image's file is noticed.
  t.deepEqual(describeOverrides(trace), [`GRUB_CMDLINE_LINUX_DEFAULT comes from ${CLOUDIMG}, which overrides /etc/default/grub`]);
  const text = renderDropin(trace, plan);
  t.true(text.includes('GRUB_CMDLINE_LINUX as /etc/default/grub set it,\n'), text);
  t.true(text.includes(`GRUB_CMDLINE_LINUX_DEFAULT as ${CLOUDIMG} set it, with the params set`), text);
  t.is(line(text, 'GRUB_CMDLINE_LINUX'), "GRUB_CMDLINE_LINUX='nomodeset console=tty0 console=ttyS1,115200n8 intel_iommu=on default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4'");
  t.is(line(text, 'GRUB_CMDLINE_LINUX_DEFAULT'), "GRUB_CMDLINE_LINUX_DEFAULT='console=tty1 console=ttyS0'");
  const file = await paramsFile(host, plan, 'add');
  t.like(file, { how: 'edit', current: '', target: text, edit: { add: plan.kernelParams, remove: ['iommu=pt'] } });
  t.deepEqual(file.notes, describeOverrides(trace));
  t.is(effectiveCmdlineOf(await traceGrubDefaults(host, text), 'full'), `nomodeset console=tty0 console=ttyS1,115200n8 intel_iommu=on default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4 console=tty1 console=ttyS0 ${CRASHKERNEL}`);
  t.deepEqual(await grubDropinMethod.describeCommit(host, config(file, 'add')), [
    `noticed: GRUB_CMDLINE_LINUX_DEFAULT comes from ${CLOUDIMG}, which overrides /etc/default/grub; ${GRUB_DROPIN} is read after it`,
    `${GRUB_DROPIN}: GRUB_CMDLINE_LINUX(_DEFAULT) with ${plan.kernelParams.join(' ')}, read after /etc/default/grub and the drop-ins before it`,
    'regenerate /boot/grub/grub.cfg: update-grub',
  ]);
  await provision(host, plan);
  const back = await paramsFile(host, plan, 'remove');
  t.like(back, { how: 'restore', target: '' });
  t.deepEqual(back.edit, { remove: ['intel_iommu=on', 'default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4'], add: ['iommu=pt'] });
});

test('teardown with two params ours took off (iommu=pt for iommu: on, ixgbe.max_vfs for VFs through sysfs): both expected back', async (t) => {
  const plan = { ...iommuOnPlan(), kernelParams: ['intel_iommu=on', 'default_hugepagesz=2M', 'hugepagesz=2M'], pfs: iommuOnPlan().pfs.map((p) => ({ ...p, vfCreation: 'sysfs' as const })) };
  const host = node({ '/etc/default/grub': STOCK.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="iommu=pt ixgbe.max_vfs=8"') });
  await provision(host, plan);
  t.deepEqual((await paramsFile(host, plan, 'remove')).edit, { remove: plan.kernelParams, add: ['iommu=pt', 'ixgbe.max_vfs=8'] });
});

test('intel_iommu=on already in GRUB_CMDLINE_LINUX_DEFAULT (as SR-IOV guides say): ours has it once, in GRUB_CMDLINE_LINUX, and teardown leaves it on', async (t) => {
  const host = node({ '/etc/default/grub': STOCK.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on"') });
  const plan = labNodePlan();
  const file = await paramsFile(host, plan, 'add');
  t.is(line(file.target, 'GRUB_CMDLINE_LINUX'), `GRUB_CMDLINE_LINUX='${LAB_PARAMS}'`);
  t.is(line(file.target, 'GRUB_CMDLINE_LINUX_DEFAULT'), 'GRUB_CMDLINE_LINUX_DEFAULT=quiet');
  // Debian's file sets both variables itself: it is named for both.
  t.true(file.target.includes('GRUB_CMDLINE_LINUX as /etc/default/grub set it,\n# GRUB_CMDLINE_LINUX_DEFAULT as /etc/default/grub set it,'), file.target);
  t.is(effectiveCmdlineOf(await traceGrubDefaults(host, file.target), 'full'), `${LAB_PARAMS} quiet`);
  t.deepEqual(file.notes, [], 'no drop-in sets the variables: nothing noticed');
  await provision(host, plan);
  t.deepEqual((await paramsFile(host, plan, 'remove')).edit, { remove: ['iommu=pt', 'default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4,4'], add: [] });
});

test('hugepagesz= with its pools in GRUB_CMDLINE_LINUX_DEFAULT stays as it is; the second hugepagesz=2M is refused, naming no later file', async (t) => {
  // Each hugepagesz= opens the pool of the hugepages= after it. The kernel takes a size given twice
  // only when it is the default size with no count yet (Linux 5.7+ mm/hugetlb.c hugepagesz_setup;
  // otherwise "hugepagesz=2M specified twice, ignoring", and the hugepages= after it counts for the
  // pool before): dropping one of the pair could move the 512 pages to the 1G pool. Refused, named.
  const pools = 'quiet hugepagesz=1G hugepages=4 hugepagesz=2M hugepages=512';
  const host = node({ '/etc/default/grub': STOCK.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', `GRUB_CMDLINE_LINUX_DEFAULT="${pools}"`) });
  const plan = labNodePlan();
  t.is(line(renderDropin(await traceGrubDefaults(host), plan), 'GRUB_CMDLINE_LINUX_DEFAULT'), `GRUB_CMDLINE_LINUX_DEFAULT='${pools}'`);
  const error = await t.throwsAsync<FatalError>(paramsFile(host, plan, 'add'), { instanceOf: FatalError });
  t.is(error?.message, `node1: with ${GRUB_DROPIN} in place, the kernel command line grub-mkconfig would produce is not the plan's: hugepagesz=2M is on it twice ("${LAB_PARAMS} ${pools}")`);
  t.is(error?.hint, 'check /etc/default/grub and /etc/default/grub.d/*.cfg on the node, then run again');
});

test('a later file that contradicts a planned param is the one named: not a harmless file before it, nor one after it', async (t) => {
  const host = node({
    '/etc/default/grub': STOCK,
    '/etc/default/grub.d/zz-a.cfg': 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT nomodeset"\n',
    '/etc/default/grub.d/zz-b.cfg': 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX intel_iommu=off"\n',
    '/etc/default/grub.d/zz-c.cfg': 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT splash"\n',
  });
  const error = await t.throwsAsync<FatalError>(paramsFile(host, labNodePlan(), 'add'), { instanceOf: FatalError });
  t.is(error?.message, `node1: with ${GRUB_DROPIN} in place, the kernel command line grub-mkconfig would produce is not the plan's: intel_iommu=on is contradicted by intel_iommu=off ("${LAB_PARAMS} intel_iommu=off quiet nomodeset splash"); read after it, /etc/default/grub.d/zz-b.cfg undoes that in GRUB_CMDLINE_LINUX(_DEFAULT)`);
  t.regex(error?.hint ?? '', /sorts before 99-sriov-lxc\.cfg/);
});

test('two planned params added again: both named, once each; a param the node has twice without ours is not held against it', async (t) => {
  const host = node({
    '/etc/default/grub': STOCK.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="console=ttyS0"').replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0"'),
    '/etc/default/grub.d/zz-site.cfg': 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX iommu=pt hugepagesz=2M"\n',
  });
  const plan = labNodePlan();
  const outcome = await traceGrubDefaults(host, renderDropin(await traceGrubDefaults(host), plan));
  t.deepEqual(judgeDropin(outcome, plan), ['iommu=pt hugepagesz=2M are on it twice']);
  const error = await t.throwsAsync<FatalError>(paramsFile(host, plan, 'add'));
  t.regex(error?.message ?? '', /read after it, \/etc\/default\/grub\.d\/zz-site\.cfg undoes that/);
  // Without the later file: console=ttyS0 twice, as the node has it, and nothing to refuse.
  host.files.delete('/etc/default/grub.d/zz-site.cfg');
  t.deepEqual(judgeDropin(await traceGrubDefaults(host, renderDropin(await traceGrubDefaults(host), plan)), plan), []);
});

test('our drop-in is told from one the operator changed: by its checksum, its two assignments and nothing else, its first line', async (t) => {
  const host = node({ '/etc/default/grub': STOCK });
  const ours = renderDropin(await traceGrubDefaults(host), labNodePlan());
  t.true(isUnchangedDropin(ours));
  const [linux, linuxDefault] = [line(ours, 'GRUB_CMDLINE_LINUX')!, line(ours, 'GRUB_CMDLINE_LINUX_DEFAULT')!];
  t.false(isUnchangedDropin(ours.replace(linuxDefault, "GRUB_CMDLINE_LINUX_DEFAULT='quiet nomodeset'")), 'a value changed: the checksum differs');
  t.false(isUnchangedDropin(`${ours}GRUB_TIMEOUT=1\n`), 'a line added');
  t.false(isUnchangedDropin(`${ours}echo hi\n`), 'a command added');
  t.false(isUnchangedDropin(ours.replace(`${linuxDefault}\n`, '')), 'a line removed');
  t.false(isUnchangedDropin(ours.replace(`${linux}\n${linuxDefault}`, `${linuxDefault}\n${linux}`)), 'the two in another order');
  t.false(isUnchangedDropin(`# my settings\n${ours}`), 'a comment before our first line');
  // Written before the checksum line was: the shape alone says it; blank lines and comments do not count.
  const older = ours.split('\n').filter((l) => !l.startsWith('# sriov-lxc sha256')).join('\n');
  t.true(isUnchangedDropin(older));
  t.true(isUnchangedDropin(older.replace(linux, `\n  \n# a note\n${linux}`)));
  t.false(isUnchangedDropin(`${older}echo hi\n`), 'without the checksum, a command added still tells');
  t.false(isUnchangedDropin(older.replace(linux, 'GRUB_CMDLINE_LINUX_DEFAULT=quiet')), 'GRUB_CMDLINE_LINUX_DEFAULT twice');
});

test('a drop-in the operator changed, stripped: their additions and other lines stay, our params and the values of the files before it go', (t) => {
  const before = { linux: 'net.ifnames=0', linuxDefault: 'quiet' };
  const remove = LAB_PARAMS.split(' ');
  const changed = [
    '# Written by sriov-lxc: the kernel params of its inventory.',
    '',
    'GRUB_TIMEOUT=1',
    `GRUB_CMDLINE_LINUX='net.ifnames=0 ${LAB_PARAMS} nosmt'`,
    "GRUB_CMDLINE_LINUX_DEFAULT='quiet nomodeset'",
    '',
  ].join('\n');
  t.is(strippedDropin(changed, before, remove), [
    '# Left by sriov-lxc teardown: this file was changed after sriov-lxc wrote it. sriov-lxc\'s params are',
    '# out of it; what was added to it stays, as additions to what the other files set.',
    'GRUB_TIMEOUT=1',
    'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX "nosmt',
    'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT "nomodeset',
    '',
  ].join('\n'));
  // One side alone is enough to keep the file: a line of theirs, or an addition (indented: sh reads it alike).
  t.is(strippedDropin(`${changed.split('\n').slice(0, 3).join('\n')}\n`, before, remove).split('\n').slice(2).join('\n'), 'GRUB_TIMEOUT=1\n');
  t.is(strippedDropin(`GRUB_CMDLINE_LINUX='net.ifnames=0 ${LAB_PARAMS}'\n  GRUB_CMDLINE_LINUX_DEFAULT='quiet nomodeset'\n`, before, remove).split('\n').slice(2).join('\n'), 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT "nomodeset\n');
  // Blank lines are not theirs; an exported assignment is one of the two variables (sh reads it alike).
  t.is(strippedDropin(`# x\n   \nexport GRUB_CMDLINE_LINUX='net.ifnames=0 ${LAB_PARAMS} nosmt'\nGRUB_CMDLINE_LINUX_DEFAULT=quiet\n`, before, remove).split('\n').slice(2).join('\n'), 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX "nosmt\n');
  // Only our params taken out by hand: nothing of theirs left, the file goes.
  t.is(strippedDropin(`# Written by sriov-lxc\nGRUB_CMDLINE_LINUX='net.ifnames=0 intel_iommu=on'\nGRUB_CMDLINE_LINUX_DEFAULT=quiet\n`, before, remove), '');
  // A value sh must expand: not one we can split, left to the other lines.
  t.is(strippedDropin('GRUB_CMDLINE_LINUX="$X nosmt"\nGRUB_CMDLINE_LINUX_DEFAULT=quiet\n', before, remove), '');
});

test('teardown: no drop-in (nothing of ours), one an earlier teardown stripped (the operator\'s now), one changed down to nothing of theirs', async (t) => {
  const plan = labNodePlan();
  const host = node({ '/etc/default/grub': STOCK.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="intel_iommu=on"') });
  const none = await paramsFile(host, plan, 'remove');
  // The node's own intel_iommu=on stays: only the params it does not have are to stay off.
  t.like(none, { how: 'nothing', current: '', target: '', edit: { add: [], remove: ['iommu=pt', 'default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4,4'] } });
  t.deepEqual(await grubDropinMethod.describeCommit(host, config(none, 'remove')), ['regenerate /boot/grub/grub.cfg: update-grub']);

  const stripped = '# Left by sriov-lxc teardown: this file was changed after sriov-lxc wrote it.\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX iommu=pt"\n';
  host.files.set(GRUB_DROPIN, { content: stripped, mode: 0o644 });
  const again = await paramsFile(host, plan, 'remove');
  t.like(again, { how: 'strip', current: stripped, target: stripped, notes: [], edit: { add: [], remove: ['default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=4,4'] } });
  t.regex(again.kept ?? '', /what was added to it kept/);

  await provision(host, plan);
  const ours = host.files.get(GRUB_DROPIN)!.content;
  host.files.set(GRUB_DROPIN, { content: ours.replace(' iommu=pt', ''), mode: 0o644 });
  const emptied = await paramsFile(host, plan, 'remove');
  t.like(emptied, { how: 'strip', target: '' });
  t.false('kept' in emptied);
  t.deepEqual(await grubDropinMethod.describeCommit(host, config(emptied, 'remove')), [`${GRUB_DROPIN}: remove it (sriov-lxc wrote it)`, 'regenerate /boot/grub/grub.cfg: update-grub']);
});

test('the commit writes our drop-in 0644 or removes it, and leaves it alone when it is as it should be; update-grub failing after it says so', async (t) => {
  const plan = labNodePlan();
  const host = node({ '/etc/default/grub': STOCK });
  let failUpdate = false;
  host.on(['update-grub'], () => (failUpdate ? { code: 1, stderr: '/usr/sbin/grub-probe: error: failed to get canonical path of `/dev/root\'.\n' } : {}));
  const file = await paramsFile(host, plan, 'add');
  await grubDropinMethod.commit(host, config(file, 'add'));
  t.deepEqual(host.files.get(GRUB_DROPIN), { content: file.target, mode: 0o644 });
  host.files.set(GRUB_DROPIN, { content: file.target, mode: 0o600 });
  await grubDropinMethod.commit(host, config({ ...file, current: file.target }, 'add'));
  t.is(host.files.get(GRUB_DROPIN)?.mode, 0o600, 'not written again');
  t.deepEqual(host.commands.filter((c) => c === 'update-grub').length, 2);

  const changed = file.target.replace("GRUB_CMDLINE_LINUX_DEFAULT=quiet", "GRUB_CMDLINE_LINUX_DEFAULT='quiet nosmt'");
  host.files.set(GRUB_DROPIN, { content: changed, mode: 0o644 });
  const strip = await paramsFile(host, plan, 'remove');
  t.like(strip, { how: 'strip', notes: [] });
  t.regex(strip.kept ?? '', /^changed since sriov-lxc wrote it/);
  t.deepEqual(await grubDropinMethod.describeCommit(host, config(strip, 'remove')), [
    `${GRUB_DROPIN}: take ${LAB_PARAMS} out (the file changed since sriov-lxc wrote it); what was added to it stays, added to the other files' values`,
    'regenerate /boot/grub/grub.cfg: update-grub',
  ]);
  failUpdate = true;
  const kept = await t.throwsAsync<CommandError>(grubDropinMethod.commit(host, config(strip, 'remove')), { instanceOf: CommandError });
  t.is(host.files.get(GRUB_DROPIN)?.content, strip.target);
  t.regex(kept?.hint ?? '', /99-sriov-lxc\.cfg is already written: run again/);

  host.files.set(GRUB_DROPIN, { content: file.target, mode: 0o644 });
  const restore = await paramsFile(host, plan, 'remove');
  t.like(restore, { how: 'restore', target: '' });
  const removed = await t.throwsAsync<CommandError>(grubDropinMethod.commit(host, config(restore, 'remove')), { instanceOf: CommandError });
  t.false(host.files.has(GRUB_DROPIN));
  t.regex(removed?.hint ?? '', /99-sriov-lxc\.cfg is already removed: run again/);
});

test('teardown after the operator changed /etc/default/grub: our drop-in, unchanged, is ours to remove although it is no longer what provisioning would write', async (t) => {
  const plan = labNodePlan();
  const host = node({ '/etc/default/grub': STOCK });
  const ours = await provision(host, plan);
  host.files.set('/etc/default/grub', { content: STOCK.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"'), mode: 0o644 });
  t.not(renderDropin(await traceGrubDefaults(host), plan), ours);
  t.like(await paramsFile(host, plan, 'remove'), { how: 'restore', current: ours, target: '', notes: [] });
});

test('two later files that each undo ours (one in between puts the params back): both named', async (t) => {
  const host = node({
    '/etc/default/grub': STOCK,
    '/etc/default/grub.d/zz-a.cfg': 'GRUB_CMDLINE_LINUX="net.ifnames=0"\n',
    '/etc/default/grub.d/zz-b.cfg': `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX ${LAB_PARAMS}"\n`,
    '/etc/default/grub.d/zz-c.cfg': 'GRUB_CMDLINE_LINUX="net.ifnames=1"\n',
  });
  const error = await t.throwsAsync<FatalError>(paramsFile(host, labNodePlan(), 'add'));
  t.regex(error?.message ?? '', /; read after it, \/etc\/default\/grub\.d\/zz-a\.cfg, \/etc\/default\/grub\.d\/zz-c\.cfg undo that in GRUB_CMDLINE_LINUX\(_DEFAULT\)$/);
});

test('a file read before ours that takes params off is not blamed (ours puts them back): only the later one is', async (t) => {
  const host = node({
    '/etc/default/grub': STOCK.replace('GRUB_CMDLINE_LINUX=""', `GRUB_CMDLINE_LINUX="${LAB_PARAMS}"`),
    [CLOUDIMG]: 'GRUB_CMDLINE_LINUX=""\n',
    '/etc/default/grub.d/zz-site.cfg': 'GRUB_CMDLINE_LINUX="net.ifnames=0"\n',
  });
  const error = await t.throwsAsync<FatalError>(paramsFile(host, labNodePlan(), 'add'));
  t.regex(error?.message ?? '', /; read after it, \/etc\/default\/grub\.d\/zz-site\.cfg undoes that in GRUB_CMDLINE_LINUX\(_DEFAULT\)$/);
});

test('one probe when our drop-in is already as planned; what paramsFile reads is all in the method\'s batched reads', async (t) => {
  const plan = labNodePlan();
  const host = node({ '/etc/default/grub': STOCK });
  await provision(host, plan);
  const start = host.calls.length;
  for (const direction of ['add', 'remove'] as const) await paramsFile(host, plan, direction);
  const calls = host.calls.slice(start);
  t.is(calls.filter((c) => c.kind === 'exec').length, 2, 'one probe each');
  const reads = grubDropinMethod.reads.map((r) => ('file' in r ? r.file : JSON.stringify(r.argv)));
  for (const c of calls) t.true(reads.includes(c.kind === 'readFile' ? c.path! : JSON.stringify(c.argv)), `${c.kind} ${c.path ?? c.line} is not in reads`);
  t.true(reads.includes('/etc/default/grub'), 'the trial reads GRUB_DEFAULT from it');
});
