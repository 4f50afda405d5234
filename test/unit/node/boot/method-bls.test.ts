// The Boot Loader Specification method (node/boot/method-bls.ts) one part at a time, on the
// entries of a real RHEL 9.1 node as grubby-bls lists them (test/fixtures/real/SOURCES.md: two
// kernels, their files named <machine-id>-<version>.conf as kernel-install writes them): which
// entry GRUB boots and whose file the trial copies, /etc/kernel/cmdline each way (with and without
// the copy the first commit keeps), every entry judged, the trial placed, and the commit's plan
// lines, commands and writes. Expected texts are written out by hand from the capture.
import test from 'ava';
import { FatalError } from '../../../../core/errors.ts';
import { BLS_DIR, KERNEL_CMDLINE, KERNEL_CMDLINE_BACKUP, blsMethod } from '../../../../node/boot/method-bls.ts';
import type { BootConfig, Entries, ParamsFile } from '../../../../node/boot/method.ts';
import { BLS_TRIAL_FILE } from '../../../../node/boot/trial-entry.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';
import { labNodePlan } from '../../../helpers/plans.ts';

const GRUBBY = fixture('real/grubby/grubby-info-all-rhel-9.1-two-entries.txt');
const ARGS = 'ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet retbleed=stuff';
const OPTS = `root=/dev/mapper/rhel-root ${ARGS}`;
const NEW = '4d684a4a6166439a867e701ded4f7e10-5.14.0-162.6.1.el9_1.x86_64';
const OLD = '4d684a4a6166439a867e701ded4f7e10-5.14.0-70.13.1.el9_0.x86_64';
const LAB = 'intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=4,4';
const plan = labNodePlan();
const COMMANDS = { mkconfig: ['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg'], reboot: 'grub2-reboot', editenv: 'grub2-editenv', setDefault: 'grub2-set-default', grubenvPath: '/boot/grub2/grubenv', grubCfgPath: '/boot/grub2/grub.cfg' };
const BLS_CFG = 'set default="${saved_entry}"\nblscfg\n';
const entryFile = (id: string): string => `title ${id}\nlinux /vmlinuz\noptions ${OPTS}\n`;

/** grubby --info=ALL with `params` appended to the args of the entries numbered in `which`. */
const grubbyWith = (params: string, which: readonly number[] = [0, 1]): string =>
  GRUBBY.split('index=').map((block, i) => (which.includes(i - 1) ? block.replace(`args="${ARGS}"`, `args="${ARGS} ${params}"`) : block)).join('index=');

function node(files: Record<string, string>, grubby = GRUBBY): FakeHost {
  const host = new FakeHost('node1', { [`${BLS_DIR}/${NEW}.conf`]: entryFile(NEW), [`${BLS_DIR}/${OLD}.conf`]: entryFile(OLD), ...files });
  host.on(['grubby', '--info=ALL'], { stdout: grubby });
  host.on((argv) => argv[0] === 'grubby' && argv[1] === '--update-kernel=ALL', {});
  host.on(['grub2-set-default', NEW], {});
  host.on(['rm', '-f', BLS_TRIAL_FILE], {});
  host.on(['grub2-editenv', '/boot/grub2/grubenv', 'unset', 'next_entry'], {});
  host.on(['rm', '-f', '--', KERNEL_CMDLINE_BACKUP], () => {
    host.files.delete(KERNEL_CMDLINE_BACKUP);
    return {};
  });
  return host;
}

const entries = (host: FakeHost, env: Record<string, string> = { saved_entry: NEW }): Promise<Entries> => blsMethod.entries(host, COMMANDS, BLS_CFG, env);
const paramsFile = async (host: FakeHost, direction: 'add' | 'remove', env?: Record<string, string>): Promise<ParamsFile> =>
  blsMethod.paramsFile(host, plan, direction, await entries(host, env), { path: '/boot/grub2/grubenv', env: {} });

async function config(host: FakeHost, direction: 'add' | 'remove', over: Partial<BootConfig> = {}): Promise<BootConfig> {
  const env = over.env ?? { saved_entry: NEW };
  const base: Omit<BootConfig, 'entriesShortfall'> = {
    method: blsMethod,
    direction,
    commands: COMMANDS,
    params: await paramsFile(host, direction, env),
    cfg: BLS_CFG,
    grubenvText: '',
    env,
    entries: await entries(host, env),
    trialScript: undefined,
    ...over,
  };
  return { ...base, entriesShortfall: blsMethod.entriesShortfall(base), ...over };
}

test('entries: GRUB_DEFAULT=saved (no /etc/default/grub) boots saved_entry; a one-shot next_entry is the next boot only; the default entry\'s own file is read', async (t) => {
  const host = node({});
  const found = await entries(host, { saved_entry: OLD, next_entry: NEW });
  t.deepEqual(found.entries.map((e) => [e.id, e.params]), [[NEW, OPTS], [OLD, OPTS]]);
  t.is(found.standing?.entry.id, OLD);
  t.is(found.standing?.chosenBy, `GRUB_DEFAULT=saved, saved_entry=${OLD}`);
  t.is(found.next?.entry.id, NEW);
  t.is(found.baseEntryFile, entryFile(OLD));
  // GRUB_DEFAULT=0 in /etc/default/grub: the first entry, whatever saved_entry says.
  host.files.set('/etc/default/grub', { content: 'GRUB_DEFAULT=0\nGRUB_ENABLE_BLSCFG=true\n', mode: 0o644 });
  t.is((await entries(host, { saved_entry: OLD })).standing?.entry.id, NEW);
});

test('entries: an id that is not a plain file name is not read as a path; an entry without its file has none', async (t) => {
  for (const id of ['../../../etc/shadow', 'a b', '']) {
    const host = node({}, GRUBBY.replace(`id="${NEW}"`, `id="${id}"`));
    const found = await entries(host, {});
    t.is(found.standing?.entry.title, 'Red Hat Enterprise Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Plow)');
    t.false('baseEntryFile' in found, id);
    t.deepEqual(host.calls.filter((c) => c.kind === 'readFile').map((c) => c.path), ['/etc/default/grub'], id);
  }
  const host = node({});
  host.files.delete(`${BLS_DIR}/${NEW}.conf`);
  t.false('baseEntryFile' in (await entries(host, {})));
  const error = t.throws(() => blsMethod.renderTrial({ entries: { entries: [], next: undefined, standing: undefined } } as unknown as BootConfig, { entry: { title: 't', id: NEW, index: 0, submenus: [], kernel: '/vmlinuz', params: OPTS }, chosenBy: '' }, OPTS), { instanceOf: FatalError });
  t.is(error?.message, `no trial boot possible: the default entry's file ${BLS_DIR}/${NEW}.conf cannot be read`);
  t.regex(error?.hint ?? '', /trialBoot: false .*--no-trial-boot/);
});

test('provisioning: /etc/kernel/cmdline with the params, from the file or, without one, from the default entry', async (t) => {
  const withFile = await paramsFile(node({ [KERNEL_CMDLINE]: `${OPTS}\n` }), 'add');
  t.deepEqual(withFile, { path: KERNEL_CMDLINE, current: `${OPTS}\n`, target: `${OPTS} ${LAB}\n`, edit: { add: plan.kernelParams, remove: [] }, how: 'edit', backup: KERNEL_CMDLINE_BACKUP, notes: [] });
  const withDefault = await paramsFile(node({}, GRUBBY.replace(`args="${ARGS}"`, `args="${ARGS} nosmt"`)), 'add', { saved_entry: NEW });
  t.like(withDefault, { current: '', target: `${OPTS} nosmt ${LAB}\n` });
  // An options line with a blank at its end (a hand edit), as grubby lists it: none in the file.
  const trailing = await paramsFile(node({}, GRUBBY.replace(`args="${ARGS}"`, `args="${ARGS} "`)), 'add', { saved_entry: NEW });
  t.is(trailing.target, `${OPTS} ${LAB}\n`);
});

test('teardown with the copy: as provisioning left it (or restored already), the copy back; changed since, only our params off', async (t) => {
  const back = { remove: plan.kernelParams, add: [] };
  for (const current of [`${OPTS} ${LAB}\n`, `${OPTS}\n`]) {
    const file = await paramsFile(node({ [KERNEL_CMDLINE]: current, [KERNEL_CMDLINE_BACKUP]: `${OPTS}\n` }), 'remove');
    t.deepEqual(file, { path: KERNEL_CMDLINE, current, target: `${OPTS}\n`, edit: back, how: 'restore', backup: KERNEL_CMDLINE_BACKUP, notes: [] });
  }
  const changed = await paramsFile(node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB} nosmt\n`, [KERNEL_CMDLINE_BACKUP]: `${OPTS}\n` }), 'remove');
  t.deepEqual(changed, {
    path: KERNEL_CMDLINE, current: `${OPTS} ${LAB} nosmt\n`, target: `${OPTS} nosmt\n`, edit: back, how: 'strip', notes: [],
    kept: `changed since sriov-lxc wrote it: left in place without sriov-lxc's params ${LAB} (the original is in ${KERNEL_CMDLINE_BACKUP})`,
  });
  // A copy of a file provisioning took a param off (iommu=pt for iommu: on): it comes back.
  const iommuOn = { ...plan, iommu: 'on' as const, kernelParams: plan.kernelParams.filter((p) => p !== 'iommu=pt') };
  const file = await blsMethod.paramsFile(node({ [KERNEL_CMDLINE]: `${OPTS} iommu=pt\n`, [KERNEL_CMDLINE_BACKUP]: `${OPTS} iommu=pt\n` }), iommuOn, 'remove', await entries(node({})), { path: '', env: {} });
  t.deepEqual(file.edit, { remove: iommuOn.kernelParams, add: ['iommu=pt'] });
});

test('teardown without the copy: the params the default entry still has come off (the file too, if there is one); none there, nothing to do', async (t) => {
  const on = grubbyWith(LAB);
  const file = await paramsFile(node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB}\n` }, on), 'remove');
  t.deepEqual(file, { path: KERNEL_CMDLINE, current: `${OPTS} ${LAB}\n`, target: `${OPTS}\n`, edit: { add: [], remove: plan.kernelParams }, how: 'restore', notes: [] });
  t.like(await paramsFile(node({}, on), 'remove'), { how: 'restore', current: '', target: '' });
  // Only iommu=pt is the node's own here: the rest are to stay off.
  const none = await paramsFile(node({ [KERNEL_CMDLINE]: `${OPTS} iommu=pt\n` }), 'remove');
  t.deepEqual(none, { path: KERNEL_CMDLINE, current: `${OPTS} iommu=pt\n`, target: `${OPTS} iommu=pt\n`, edit: { add: [], remove: plan.kernelParams.filter((p) => p !== 'iommu=pt') }, how: 'nothing', notes: [] });
  // What the default entry has decides (the node may predate the copy): iommu=pt there comes off.
  t.like(await paramsFile(node({}, grubbyWith('iommu=pt')), 'remove'), { how: 'restore', target: '', edit: { add: [], remove: ['iommu=pt'] } });
});

test('every entry must boot the edit: the first that does not is named, the trial entry aside', async (t) => {
  const host = node({}, grubbyWith(LAB, [0]));
  const c = await config(host, 'add');
  t.is(c.entriesShortfall, `the boot entry "Red Hat Enterprise Linux (5.14.0-70.13.1.el9_0.x86_64) 9.0 (Plow)" (${BLS_DIR}/${OLD}.conf) lacks ${LAB}`);
  const trial = GRUBBY.replace(`id="${OLD}"`, 'id="sriov-lxc-trial"');
  t.is((await config(node({}, grubbyWith(LAB, [0]).replace(`id="${OLD}"`, 'id="sriov-lxc-trial"')), 'add')).entriesShortfall, undefined);
  t.regex((await config(node({}, trial), 'add')).entriesShortfall ?? '', /^the boot entry "Red Hat Enterprise Linux \(5\.14\.0-162/);
  t.is((await config(node({}, grubbyWith(LAB)), 'add')).entriesShortfall, undefined);
  t.regex((await config(node({}, grubbyWith(LAB)), 'remove')).entriesShortfall ?? '', /still has/);
});

test('the trial placed: the default pinned by its id only when saved_entry is unset; the file written 0644 only when it differs', async (t) => {
  const host = node({});
  const unset = await config(host, 'add', { env: {} });
  let start = host.calls.length;
  const commands = (): string[] => host.calls.slice(start).filter((c) => c.kind === 'exec').map((c) => c.line ?? '');
  await blsMethod.placeTrial(host, unset, 'TRIAL\n', async () => unset, () => '');
  t.deepEqual(commands(), [`grub2-set-default ${NEW}`]);
  t.deepEqual(host.files.get(BLS_TRIAL_FILE), { content: 'TRIAL\n', mode: 0o644 });
  const pinned = await config(host, 'add', { trialScript: 'TRIAL\n' });
  start = host.calls.length;
  const calls = host.calls.length;
  t.is(await blsMethod.placeTrial(host, pinned, 'TRIAL\n', async () => unset, () => ''), pinned);
  t.deepEqual(host.calls.slice(calls).filter((c) => c.kind !== 'readFile'), []);
  await blsMethod.placeTrial(host, { ...unset, entries: { ...unset.entries, standing: undefined } }, 'TRIAL\n', async () => unset, () => '');
  t.deepEqual(commands(), [], 'no default entry: nothing to pin');
});

test('commit of provisioning: the trial file and one-shot first, grubby on every entry, the original kept once (not an absent one), then the file', async (t) => {
  const host = node({ [KERNEL_CMDLINE]: `${OPTS}\n`, [BLS_TRIAL_FILE]: 'TRIAL\n' });
  const c = await config(host, 'add', { trialScript: 'TRIAL\n', env: { saved_entry: NEW, next_entry: 'sriov-lxc-trial' } });
  t.deepEqual(await blsMethod.describeCommit(host, c), [
    `remove ${BLS_TRIAL_FILE}`,
    'clear next_entry=sriov-lxc-trial in /boot/grub2/grubenv',
    `grubby --update-kernel=ALL: add ${LAB} on every boot entry`,
    `${KERNEL_CMDLINE}: add ${LAB} (kernels installed later take it)`,
  ]);
  const start = host.calls.length;
  await blsMethod.commit(host, c);
  t.deepEqual(host.calls.slice(start).filter((x) => x.kind === 'exec').map((x) => x.line), [`rm -f ${BLS_TRIAL_FILE}`, 'grub2-editenv /boot/grub2/grubenv unset next_entry', `grubby --update-kernel=ALL '--args=${LAB}'`]);
  t.deepEqual(host.files.get(KERNEL_CMDLINE_BACKUP), { content: `${OPTS}\n`, mode: 0o644 });
  t.deepEqual(host.files.get(KERNEL_CMDLINE), { content: `${OPTS} ${LAB}\n`, mode: 0o644 });
  // Again (a commit repeated): the copy is the original still.
  await blsMethod.commit(host, { ...c, params: { ...c.params, current: `${OPTS} ${LAB}\n` } });
  t.is(host.files.get(KERNEL_CMDLINE_BACKUP)?.content, `${OPTS}\n`);
  // No /etc/kernel/cmdline before: no copy of nothing; the file written from the default entry.
  const bare = node({});
  await blsMethod.commit(bare, await config(bare, 'add'));
  t.false(bare.files.has(KERNEL_CMDLINE_BACKUP));
  t.is(bare.files.get(KERNEL_CMDLINE)?.content, `${OPTS} ${LAB}\n`);
});

test('commit with every entry and the file already edited: nothing planned, nothing but grubby\'s idempotent edit', async (t) => {
  const host = node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB}\n`, [KERNEL_CMDLINE_BACKUP]: `${OPTS}\n` }, grubbyWith(LAB));
  const c = await config(host, 'add');
  t.deepEqual(await blsMethod.describeCommit(host, c), []);
  await blsMethod.commit(host, c);
  t.deepEqual(host.calls.filter((x) => x.kind === 'writeFile'), []);
  // The default entry edited but another not: every entry is.
  const half = node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB}\n` }, grubbyWith(LAB, [0]));
  t.deepEqual(await blsMethod.describeCommit(half, await config(half, 'add')), [`grubby --update-kernel=ALL: set ${LAB} on every boot entry`]);
});

test('commit of teardown: the copy back, then removed; a changed file keeps the copy', async (t) => {
  const host = node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB}\n`, [KERNEL_CMDLINE_BACKUP]: `${OPTS}\n` }, grubbyWith(LAB));
  const c = await config(host, 'remove');
  t.deepEqual(await blsMethod.describeCommit(host, c), [
    `grubby --update-kernel=ALL: remove ${LAB} (put on by sriov-lxc) on every boot entry`,
    `${KERNEL_CMDLINE}: restore from ${KERNEL_CMDLINE_BACKUP}`,
    `remove ${KERNEL_CMDLINE_BACKUP}`,
  ]);
  const start = host.calls.length;
  await blsMethod.commit(host, c);
  t.deepEqual(host.calls.slice(start).filter((x) => x.kind === 'exec').map((x) => x.line), [`grubby --update-kernel=ALL '--remove-args=${LAB}'`, `rm -f -- ${KERNEL_CMDLINE_BACKUP}`]);
  t.is(host.files.get(KERNEL_CMDLINE)?.content, `${OPTS}\n`);
  t.false(host.files.has(KERNEL_CMDLINE_BACKUP));

  const changed = node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB} nosmt\n`, [KERNEL_CMDLINE_BACKUP]: `${OPTS}\n` }, grubbyWith(LAB));
  const strip = await config(changed, 'remove');
  t.deepEqual((await blsMethod.describeCommit(changed, strip)).at(-1), `${KERNEL_CMDLINE}: remove ${LAB} (put on by sriov-lxc) (kernels installed later take it)`);
  await blsMethod.commit(changed, strip);
  t.is(changed.files.get(KERNEL_CMDLINE)?.content, `${OPTS} nosmt\n`);
  t.is(changed.files.get(KERNEL_CMDLINE_BACKUP)?.content, `${OPTS}\n`);
});

test('commit of teardown without the copy (a node provisioned before sriov-lxc kept one): ours off the file and every entry; no copy named, written or removed', async (t) => {
  const host = node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB}\n` }, grubbyWith(LAB));
  const c = await config(host, 'remove');
  t.deepEqual(await blsMethod.describeCommit(host, c), [
    `grubby --update-kernel=ALL: remove ${LAB} (put on by sriov-lxc) on every boot entry`,
    `${KERNEL_CMDLINE}: remove ${LAB} (put on by sriov-lxc) (kernels installed later take it)`,
  ]);
  const start = host.calls.length;
  await blsMethod.commit(host, c);
  t.deepEqual(host.calls.slice(start).filter((x) => x.kind === 'exec').map((x) => x.line), [`grubby --update-kernel=ALL '--remove-args=${LAB}'`]);
  t.deepEqual(host.calls.slice(start).filter((x) => x.kind === 'writeFile').map((x) => x.path), [KERNEL_CMDLINE]);
  t.deepEqual(host.files.get(KERNEL_CMDLINE), { content: `${OPTS}\n`, mode: 0o644 });
});

test('what entries and paramsFile read is all in the method\'s batched reads (the default entry\'s own file aside: its name comes from grubby)', async (t) => {
  const host = node({ [KERNEL_CMDLINE]: `${OPTS} ${LAB}\n`, [KERNEL_CMDLINE_BACKUP]: `${OPTS}\n` }, grubbyWith(LAB));
  for (const direction of ['add', 'remove'] as const) await paramsFile(host, direction);
  const files = blsMethod.reads.flatMap((r) => ('file' in r ? [r.file] : []));
  const commands = blsMethod.reads.flatMap((r) => ('argv' in r ? [r.argv.join(' ')] : []));
  t.deepEqual([...new Set(host.calls.filter((c) => c.kind === 'readFile' && c.path !== `${BLS_DIR}/${NEW}.conf`).map((c) => c.path))].sort(), [...files].sort());
  t.deepEqual([...new Set(host.calls.filter((c) => c.kind === 'exec').map((c) => c.argv?.join(' ')))], commands);
});
