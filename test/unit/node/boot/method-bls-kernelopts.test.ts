// The EL8 method (node/boot/method-bls-kernelopts.ts) one part at a time, called directly: an
// EL8-style node whose /etc/default/grub is CentOS Stream's captured file (test/fixtures/real/
// SOURCES.md; EL8's grub2-mkconfig reads it alike), grubenv's kernelopts as EL8's 10_linux writes
// it from that file (`root=… ro $GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT`, the trailing
// space of the empty _DEFAULT included), the installed kernel's entry reading $kernelopts and the
// captured RHEL 8.0 entry with its own options. The plan lines, the writes (modes, order: backups
// last) and what is left alone. Expected texts are written out by hand from the files.
import test from 'ava';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP } from '../../../../node/boot/grub-defaults.ts';
import { BLS_DIR } from '../../../../node/boot/method-bls.ts';
import { KERNELOPTS_BACKUP, blsKerneloptsMethod, editEntryOptions, entryOptions, kerneloptsTarget, readsKernelopts } from '../../../../node/boot/method-bls-kernelopts.ts';
import type { BootConfig, Entries } from '../../../../node/boot/method.ts';
import { BLS_TRIAL_FILE } from '../../../../node/boot/trial-entry.ts';
import type { GrubMenuEntry } from '../../../../node/parse/grub-cfg.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';
import { labNodePlan } from '../../../helpers/plans.ts';

const DEFAULTS = fixture('real/grub-default/default-grub-centos-stream-9-blscfg.txt');
const LINUX = 'crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/cs-swap rd.lvm.lv=cs/root rd.lvm.lv=cs/swap rhgb quiet';
const KO = `root=/dev/mapper/cs-root ro ${LINUX} `;
const OLD = fixture('real/bls/bls-entry-rhel-8.0-tuned-params.conf');
const OLD_OPTIONS = 'root=/dev/mapper/rhel_vm37--146-root ro crashkernel=auto resume=/dev/mapper/rhel_vm37--146-swap rd.lvm.lv=rhel_vm37-146/root rd.lvm.lv=rhel_vm37-146/swap $tuned_params noapic';
const OLD_ID = 'rhel-20190428101407-4.18.0-80.1.2.el8_0.x86_64';
const NEW_ID = 'cafe-4.18.0-553.el8_10.x86_64';
const NEW = `title AlmaLinux (4.18.0-553.el8_10.x86_64) 8.10\nlinux /vmlinuz-4.18.0-553.el8_10.x86_64\noptions $kernelopts $tuned_params\n`;
const LAB = 'intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4,4';
const plan = labNodePlan();
const ENV = '/boot/grub2/grubenv';
const COMMANDS = { mkconfig: ['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg'], reboot: 'grub2-reboot', editenv: 'grub2-editenv', setDefault: 'grub2-set-default', grubenvPath: ENV, grubCfgPath: '/boot/grub2/grub.cfg' };

const menuEntry = (id: string, params: string): GrubMenuEntry => ({ title: id, id, index: 0, submenus: [], kernel: '/vmlinuz', params });

function node(files: Record<string, string> = {}): FakeHost {
  const host = new FakeHost('node1', { [GRUB_DEFAULTS]: DEFAULTS, [`${BLS_DIR}/${NEW_ID}.conf`]: NEW, [`${BLS_DIR}/${OLD_ID}.conf`]: OLD, ...files });
  host.on((argv) => argv[0] === 'grub2-editenv' || (argv[0] === 'rm' && argv[1] === '-f'), (argv) => {
    if (argv[0] === 'rm') host.files.delete(argv.at(-1) ?? '');
    return {};
  });
  return host;
}

/** The node's config: kernelopts `kernelopts`, its entries with `entryParams` (the old one's as its file says). */
async function config(host: FakeHost, direction: 'add' | 'remove', kernelopts: string, over: Partial<BootConfig> = {}): Promise<BootConfig> {
  const env = { saved_entry: NEW_ID, kernelopts, ...over.env };
  const list = over.entries?.entries ?? [menuEntry(NEW_ID, kernelopts.trim()), menuEntry(OLD_ID, entryOptions(host.files.get(`${BLS_DIR}/${OLD_ID}.conf`)?.content ?? '') ?? '')];
  const entries: Entries = { entries: list, standing: { entry: list[0]!, chosenBy: 'saved_entry' }, next: { entry: list[0]!, chosenBy: 'saved_entry' } };
  return {
    method: blsKerneloptsMethod,
    direction,
    commands: COMMANDS,
    params: await blsKerneloptsMethod.paramsFile(host, plan, direction, entries, { path: ENV, env }),
    cfg: 'blscfg\n',
    grubenvText: '',
    entriesShortfall: undefined,
    trialScript: undefined,
    ...over,
    env,
    entries,
  };
}

test('entry files: `options` is a word of its own, $kernelopts too; a file without options is left as it is', (t) => {
  t.is(entryOptions('title x\noptions\n'), '');
  t.is(entryOptions('title x\noptionsfoo a\n'), undefined);
  t.is(entryOptions(OLD), OLD_OPTIONS);
  t.false(readsKernelopts('options root=/dev/sda1 $kernelopts_old\n'));
  t.false(readsKernelopts('options root=/dev/sda1 x$kernelopts\n'));
  t.true(readsKernelopts('options root=/dev/sda1 $kernelopts\n'));
  t.true(readsKernelopts('options\t$kernelopts $tuned_params\n'));
  t.false(readsKernelopts('title $kernelopts\n'), 'only the options line counts');
  const noOptions = 'title x\nlinux /vmlinuz\n';
  t.is(editEntryOptions(noOptions, { add: ['a=1'], remove: [] }), noOptions);
});

test('kernelopts for teardown without its copy: only the params of ours come off; with none of them on, it stays exactly as it is', (t) => {
  const back = { add: [], remove: LAB.split(' ') };
  t.is(kerneloptsTarget(`${KO}${LAB}`, undefined, 'remove', back, back), KO.trim());
  t.is(kerneloptsTarget(KO, undefined, 'remove', back, back), KO, 'the trailing space kept');
  // With its copy but changed since (audit=1 added): the copy is not put back, ours come off.
  t.is(kerneloptsTarget(`${KO}${LAB} audit=1`, KO, 'remove', back, { add: LAB.split(' '), remove: [] }), `${KO.trim()} audit=1`);
});

test('provisioning: kernelopts and GRUB_CMDLINE_LINUX edited, both originals kept (kernelopts\' 0600, with its newline), the entry with its own options edited, the one reading $kernelopts not', async (t) => {
  const host = node();
  const c = await config(host, 'add', KO, { trialScript: 'x', env: { next_entry: 'sriov-lxc-trial' } });
  t.deepEqual(c.params.also, { name: `kernelopts in ${ENV}`, current: KO, target: `${KO.trim()} ${LAB}` });
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, c), [
    `remove ${BLS_TRIAL_FILE}`,
    `clear next_entry=sriov-lxc-trial in ${ENV}`,
    `grub2-editenv ${ENV} set kernelopts=…: add ${LAB} (every entry with $kernelopts, and every kernel installed later, boots it)`,
    `keep the current kernelopts as ${KERNELOPTS_BACKUP}`,
    `${BLS_DIR}/${OLD_ID}.conf: add ${LAB} on its options line (it does not read $kernelopts)`,
    `${GRUB_DEFAULTS}: add ${LAB} to GRUB_CMDLINE_LINUX (grub2-mkconfig sets kernelopts from it)`,
    `keep the original as ${GRUB_DEFAULTS_BACKUP}`,
  ]);
  await blsKerneloptsMethod.commit(host, c);
  t.deepEqual(host.commands, [`rm -f ${BLS_TRIAL_FILE}`, `grub2-editenv ${ENV} unset next_entry`, `grub2-editenv ${ENV} set 'kernelopts=${KO.trim()} ${LAB}'`]);
  t.deepEqual(host.files.get(KERNELOPTS_BACKUP), { content: `${KO}\n`, mode: 0o600 });
  t.deepEqual(host.files.get(`${BLS_DIR}/${OLD_ID}.conf`), { content: OLD.replace(OLD_OPTIONS, `${OLD_OPTIONS} ${LAB}`), mode: 0o644 });
  t.is(host.files.get(`${BLS_DIR}/${NEW_ID}.conf`)?.content, NEW);
  t.is(host.files.get(GRUB_DEFAULTS)?.content, DEFAULTS.replace(LINUX, `${LINUX} ${LAB}`));
  t.is(host.files.get(GRUB_DEFAULTS_BACKUP)?.content, DEFAULTS);

  // Committed again (a commit that stopped after kernelopts): the copies are the first values still, nothing more promised.
  const again = await config(host, 'add', `${KO.trim()} ${LAB}`);
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, again), []);
  await blsKerneloptsMethod.commit(host, again);
  t.is(host.files.get(KERNELOPTS_BACKUP)?.content, `${KO}\n`);
  t.is(host.files.get(GRUB_DEFAULTS_BACKUP)?.content, DEFAULTS);
});

test('literal entries: the trial entry, an id that is not a file name, an entry without its file and one that boots the params already are left alone', async (t) => {
  const host = node({ [`${BLS_DIR}/sriov-lxc-trial.conf`]: OLD, [`${BLS_DIR}/done.conf`]: OLD.replace(OLD_OPTIONS, `${OLD_OPTIONS} ${LAB}`) });
  const list = [menuEntry(NEW_ID, KO.trim()), menuEntry('sriov-lxc-trial', OLD_OPTIONS), menuEntry('../x', OLD_OPTIONS), menuEntry('gone', OLD_OPTIONS), menuEntry('done', `${OLD_OPTIONS} ${LAB}`), { ...menuEntry('', OLD_OPTIONS), id: null }];
  const c = await config(host, 'add', KO, { entries: { entries: list, standing: undefined, next: undefined } });
  t.false((await blsKerneloptsMethod.describeCommit(host, c)).some((l) => l.includes('on its options line')));
  await blsKerneloptsMethod.commit(host, c);
  t.deepEqual(host.calls.filter((x) => x.kind === 'writeFile' && x.path?.startsWith(BLS_DIR)), []);
  t.false(host.calls.some((x) => x.kind === 'readFile' && (x.path?.includes('..') || x.path?.endsWith('/.conf'))));
});

test('teardown as provisioning left it: kernelopts and /etc/default/grub from their copies, both copies removed after', async (t) => {
  const host = node({ [KERNELOPTS_BACKUP]: `${KO}\n`, [GRUB_DEFAULTS_BACKUP]: DEFAULTS, [GRUB_DEFAULTS]: DEFAULTS.replace(LINUX, `${LINUX} ${LAB}`), [`${BLS_DIR}/${OLD_ID}.conf`]: OLD.replace(OLD_OPTIONS, `${OLD_OPTIONS} ${LAB}`) });
  const c = await config(host, 'remove', `${KO.trim()} ${LAB}`);
  t.is(c.params.also?.target, KO);
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, c), [
    `grub2-editenv ${ENV} set kernelopts=…: restore it from ${KERNELOPTS_BACKUP} (every entry with $kernelopts, and every kernel installed later, boots it)`,
    `${BLS_DIR}/${OLD_ID}.conf: remove ${LAB} (put on by sriov-lxc) on its options line (it does not read $kernelopts)`,
    `${GRUB_DEFAULTS}: restore from ${GRUB_DEFAULTS_BACKUP}`,
    `remove ${GRUB_DEFAULTS_BACKUP}`,
    `remove ${KERNELOPTS_BACKUP}`,
  ]);
  await blsKerneloptsMethod.commit(host, c);
  t.deepEqual(host.commands, [`grub2-editenv ${ENV} set 'kernelopts=${KO}'`, `rm -f -- ${KERNELOPTS_BACKUP}`, `rm -f -- ${GRUB_DEFAULTS_BACKUP}`]);
  t.deepEqual(host.files.get(GRUB_DEFAULTS), { content: DEFAULTS, mode: 0o644 });
  t.is(host.files.get(`${BLS_DIR}/${OLD_ID}.conf`)?.content, OLD);
});

test('teardown of a kernelopts changed since (audit=1 added): only ours off, its copy kept; never provisioned: nothing at all', async (t) => {
  const host = node({ [KERNELOPTS_BACKUP]: `${KO}\n`, [GRUB_DEFAULTS_BACKUP]: DEFAULTS, [GRUB_DEFAULTS]: DEFAULTS.replace(LINUX, `${LINUX} ${LAB}`) });
  const c = await config(host, 'remove', `${KO.trim()} ${LAB} audit=1`);
  t.is(c.params.also?.target, `${KO.trim()} audit=1`);
  t.is((await blsKerneloptsMethod.describeCommit(host, c))[0], `grub2-editenv ${ENV} set kernelopts=…: take ${LAB} off (it changed since sriov-lxc set it; the rest stays) (every entry with $kernelopts, and every kernel installed later, boots it)`);
  await blsKerneloptsMethod.commit(host, c);
  t.true(host.files.has(KERNELOPTS_BACKUP));
  t.false(host.files.has(GRUB_DEFAULTS_BACKUP));

  const fresh = node();
  const none = await config(fresh, 'remove', KO);
  t.like(none.params, { how: 'nothing', also: { current: KO, target: KO } });
  t.deepEqual(await blsKerneloptsMethod.describeCommit(fresh, none), []);
  await blsKerneloptsMethod.commit(fresh, none);
  t.deepEqual(fresh.commands, []);
  t.deepEqual(fresh.calls.filter((x) => x.kind === 'writeFile'), []);
});

test('entry files: only a line that starts with `options` is the options line; a bare `options` line is edited, an entry reading $kernelopts never', (t) => {
  const titled = 'title options test kernel\noptions a=1\n';
  t.is(entryOptions(titled), 'a=1');
  t.is(editEntryOptions(titled, { add: ['b=2'], remove: [] }), 'title options test kernel\noptions a=1 b=2\n');
  t.is(editEntryOptions('title x\noptions\n', { add: ['b=2'], remove: [] }), 'title x\noptions b=2\n');
  t.is(editEntryOptions(NEW, { add: LAB.split(' '), remove: [] }), NEW);
  t.is(editEntryOptions('options a \n', { add: ['b=2'], remove: [] }), 'options a b=2\n', 'no blank left at the end');
});

test('teardown of a node whose GRUB_CMDLINE_LINUX had the params before (by hand, no copy of it) and kernelopts not (its copy kept): kernelopts from its copy', async (t) => {
  const host = node({ [KERNELOPTS_BACKUP]: `${KO}\n`, [GRUB_DEFAULTS]: DEFAULTS.replace(LINUX, `${LINUX} ${LAB}`) });
  const c = await config(host, 'remove', `${KO.trim()} ${LAB}`);
  t.like(c.params, { how: 'nothing', also: { target: KO } });
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, c), [
    `grub2-editenv ${ENV} set kernelopts=…: restore it from ${KERNELOPTS_BACKUP} (every entry with $kernelopts, and every kernel installed later, boots it)`,
    `remove ${KERNELOPTS_BACKUP}`,
  ]);
});

test('kernelopts for teardown with its copy: restored already, the copy stays as it is, a param of the plan in it too; rewritten by grub2-mkconfig since (its trailing blank), still as provisioning left it', (t) => {
  const back = { add: [], remove: LAB.split(' ') };
  const planned = { add: LAB.split(' '), remove: [] };
  // iommu=pt set in kernelopts before sriov-lxc (not in GRUB_CMDLINE_LINUX, so teardown's edit lists it): restored, it stays.
  const own = `${KO}iommu=pt`;
  t.is(kerneloptsTarget(own, own, 'remove', back, planned), own);
  // EL8's 10_linux: kernelopts="root=… ro $GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT", the empty _DEFAULT leaving a blank at the end.
  t.is(kerneloptsTarget(`${KO.trim()} ${LAB} `, KO, 'remove', back, planned), KO);
});

test('never provisioned, intel_iommu=on set in kernelopts by hand (grub2-editenv) and not in GRUB_CMDLINE_LINUX: teardown leaves kernelopts as it is', async (t) => {
  const host = node();
  const c = await config(host, 'remove', `${KO}intel_iommu=on`);
  t.like(c.params, { how: 'nothing', also: { current: `${KO}intel_iommu=on`, target: `${KO}intel_iommu=on` } });
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, c), []);
});

test('teardown without kernelopts\' copy (gone; /etc/default/grub\'s there): ours off kernelopts, no copy of it planned, written or removed', async (t) => {
  const host = node({ [GRUB_DEFAULTS_BACKUP]: DEFAULTS, [GRUB_DEFAULTS]: DEFAULTS.replace(LINUX, `${LINUX} ${LAB}`) });
  const c = await config(host, 'remove', `${KO.trim()} ${LAB}`);
  t.deepEqual(c.params.also, { name: `kernelopts in ${ENV}`, current: `${KO.trim()} ${LAB}`, target: KO.trim() });
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, c), [
    `grub2-editenv ${ENV} set kernelopts=…: take ${LAB} off (it changed since sriov-lxc set it; the rest stays) (every entry with $kernelopts, and every kernel installed later, boots it)`,
    `${GRUB_DEFAULTS}: restore from ${GRUB_DEFAULTS_BACKUP}`,
    `remove ${GRUB_DEFAULTS_BACKUP}`,
  ]);
  await blsKerneloptsMethod.commit(host, c);
  t.deepEqual(host.commands, [`grub2-editenv ${ENV} set 'kernelopts=${KO.trim()}'`, `rm -f -- ${GRUB_DEFAULTS_BACKUP}`]);
  t.deepEqual(host.calls.filter((x) => x.kind === 'writeFile').map((x) => x.path), [GRUB_DEFAULTS]);
});

test('provisioning again after a teardown that kept both copies (both files changed since): the copies stay the first values, none planned', async (t) => {
  const host = node({ [KERNELOPTS_BACKUP]: `${KO}\n`, [GRUB_DEFAULTS_BACKUP]: DEFAULTS, [GRUB_DEFAULTS]: DEFAULTS.replace(LINUX, `${LINUX} audit=1`) });
  const c = await config(host, 'add', `${KO.trim()} audit=1`);
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, c), [
    `grub2-editenv ${ENV} set kernelopts=…: add ${LAB} (every entry with $kernelopts, and every kernel installed later, boots it)`,
    `${BLS_DIR}/${OLD_ID}.conf: add ${LAB} on its options line (it does not read $kernelopts)`,
    `${GRUB_DEFAULTS}: add ${LAB} to GRUB_CMDLINE_LINUX (grub2-mkconfig sets kernelopts from it)`,
  ]);
  await blsKerneloptsMethod.commit(host, c);
  t.deepEqual(host.files.get(KERNELOPTS_BACKUP), { content: `${KO}\n`, mode: 0o644 });
  t.is(host.files.get(GRUB_DEFAULTS_BACKUP)?.content, DEFAULTS);
  t.is(host.files.get(GRUB_DEFAULTS)?.content, DEFAULTS.replace(LINUX, `${LINUX} audit=1 ${LAB}`));
});

test('teardown of an /etc/default/grub changed since (audit=1 added): ours taken off it, its copy kept; kernelopts from its copy', async (t) => {
  const host = node({ [KERNELOPTS_BACKUP]: `${KO}\n`, [GRUB_DEFAULTS_BACKUP]: DEFAULTS, [GRUB_DEFAULTS]: DEFAULTS.replace(LINUX, `${LINUX} ${LAB} audit=1`) });
  const c = await config(host, 'remove', `${KO.trim()} ${LAB}`);
  t.deepEqual(await blsKerneloptsMethod.describeCommit(host, c), [
    `grub2-editenv ${ENV} set kernelopts=…: restore it from ${KERNELOPTS_BACKUP} (every entry with $kernelopts, and every kernel installed later, boots it)`,
    `${GRUB_DEFAULTS}: take ${LAB} off (the file changed since sriov-lxc wrote it; the rest stays)`,
    `remove ${KERNELOPTS_BACKUP}`,
  ]);
  await blsKerneloptsMethod.commit(host, c);
  t.is(host.files.get(GRUB_DEFAULTS)?.content, DEFAULTS.replace(LINUX, `${LINUX} audit=1`));
  t.is(host.files.get(GRUB_DEFAULTS_BACKUP)?.content, DEFAULTS);
  t.false(host.files.has(KERNELOPTS_BACKUP));
});

test('what entries and paramsFile read is all in the method\'s batched reads (the default entry\'s own file aside: its name comes from grubby)', async (t) => {
  const host = node({ [KERNELOPTS_BACKUP]: `${KO}\n`, [GRUB_DEFAULTS_BACKUP]: DEFAULTS });
  host.on(['grubby', '--info=ALL'], { stdout: `index=0\nkernel="/boot/vmlinuz-4.18.0-553.el8_10.x86_64"\nargs="ro ${LINUX}"\nroot="/dev/mapper/cs-root"\ntitle="AlmaLinux (4.18.0-553.el8_10.x86_64) 8.10"\nid="${NEW_ID}"\n` });
  const env = { saved_entry: NEW_ID, kernelopts: KO };
  const found = await blsKerneloptsMethod.entries(host, COMMANDS, 'blscfg\n', env);
  for (const direction of ['add', 'remove'] as const) await blsKerneloptsMethod.paramsFile(host, plan, direction, found, { path: ENV, env });
  const files = blsKerneloptsMethod.reads.flatMap((r) => ('file' in r ? [r.file] : []));
  const commands = blsKerneloptsMethod.reads.flatMap((r) => ('argv' in r ? [r.argv.join(' ')] : []));
  t.deepEqual([...new Set(host.calls.filter((c) => c.kind === 'readFile' && c.path !== `${BLS_DIR}/${NEW_ID}.conf`).map((c) => c.path))].sort(), [...files].sort());
  t.deepEqual([...new Set(host.calls.filter((c) => c.kind === 'exec').map((c) => c.argv?.join(' ')))], commands);
});
