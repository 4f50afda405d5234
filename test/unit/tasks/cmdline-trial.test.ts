// The trial boot of kernel-cmdline, reboot and kernel-cmdline-commit on a Debian 12 node whose GRUB
// answers are real: update-grub's grub.cfg with and without the trial script, grubenv after
// grub-reboot, grub-editenv and grub-probe output (test/fixtures/stages/cmdline/README.md).
import test from 'ava';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { labNodePlan } from '../../helpers/plans.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { FatalError } from '../../../core/errors.ts';
import { decide } from '../../../engine/select.ts';
import { PROVISION_STAGES } from '../../../workflows/provision-workflow.ts';
import { kernelCmdlineStage } from '../../../tasks/kernel-cmdline.ts';
import { kernelCmdlineCommitStage } from '../../../tasks/kernel-cmdline-commit.ts';
import { rebootStage } from '../../../tasks/reboot.ts';
import { kernelCmdlineTeardownStage } from '../../../tasks/teardown-kernel-cmdline.ts';
import { rebootTeardownStage } from '../../../tasks/teardown-reboot.ts';
import { kernelCmdlineCommitTeardownStage } from '../../../tasks/teardown-kernel-cmdline-commit.ts';
import { nodeDistro } from '../../../node/facts/distro.ts';
import { parseOsRelease } from '../../../node/parse/os-release.ts';
import { parseGrubCfg } from '../../../node/parse/grub-cfg.ts';
import type { StageContext, StageOutputs } from '../../../engine/stage.ts';
import { DETECT_BOOT_METHOD } from '../../../node/boot/boot-method.ts';

const PAPER_PARAMS = 'intel_iommu=off default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8';
const SCRIPT = '/etc/grub.d/99_sriov-lxc-trial';
const ENV = '/boot/grub/grubenv';
const CFG = '/boot/grub/grub.cfg';
const stock = fixture('stages/cmdline/default-grub-debian12.txt');
const configured = fixture('stages/cmdline/default-grub-debian12-configured.txt');
const freshCfg = fixture('stages/cmdline/grub-debian12-fresh.cfg');
const trialCfg = fixture('stages/cmdline/grub-debian12-trial.cfg');
const configuredCfg = fixture('stages/cmdline/grub-debian12-configured.cfg');
const trialScript = fixture('stages/cmdline/trial-script-debian12-paper.txt');
const emptyEnv = fixture('stages/cmdline/grubenv-debian12-empty');
const armedEnv = fixture('stages/cmdline/grubenv-next-entry-trial');

/** What GRUB passes to the kernel it boots from `entry` of `cfg`: BOOT_IMAGE, then the params. */
function bootCmdline(cfg: string, id: string): string {
  const entry = parseGrubCfg(cfg).find((e) => e.id === id);
  if (!entry) throw new Error(`no entry ${id}`);
  return `BOOT_IMAGE=${entry.kernel} ${entry.params?.replace(/\s+/g, ' ')}`;
}
const OLD_CMDLINE = bootCmdline(freshCfg, 'gnulinux-simple-3d81a16b-9af7-4ba0-ae53-ef16fb54f864');
const TRIAL_CMDLINE = bootCmdline(trialCfg, 'sriov-lxc-trial');

function plan(extra = ''): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: off
    hugepages: { count: 1024 }
    pfs:
      - { name: enp4s0f0, vfs: 8, vfCreation: max_vfs }
      - { name: enp4s0f1, vfs: 8, vfCreation: max_vfs }
${extra}`, '/tmp/inventory.yaml').hosts[0]!;
}

function context(host: FakeHost, p: HostPlan = plan(), outputs: Record<string, StageOutputs> = {}): StageContext {
  return {
    host,
    plan: p,
    outputs: { 'bios-verify': { distro: nodeDistro(parseOsRelease(fixture('stages/bios/os-release-debian12.txt'))) }, ...outputs },
    log: () => {},
    signal: new AbortController().signal,
    runId: 'r1',
    stateDir: '/tmp/state',
  };
}

interface NodeOptions {
  fs?: string;
  abstraction?: string;
  /** grub-editenv's stderr when it cannot write grubenv. */
  editenvFails?: string;
  /** What becomes of update-grub's output (a grub.cfg unlike grub-mkconfig's). */
  mkconfig?: (cfg: string) => string;
}

/**
 * What update-grub writes: the capture for /etc/default/grub (stock or configured), then what a
 * /etc/grub.d script prints, framed the way grub-mkconfig frames every script's output (a test
 * below checks this gives the real capture with the trial script).
 */
function updateGrubOutput(defaults: string | undefined, script: string | undefined): string {
  const base = defaults === configured ? configuredCfg : freshCfg;
  if (script === undefined) return base;
  return `${base}\n### BEGIN ${SCRIPT} ###\n${script.split('\n').slice(2).join('\n')}### END ${SCRIPT} ###\n`;
}

/**
 * A Debian 12 node booted by BIOS, update-grub as above; grub-reboot and grub-editenv leave
 * grubenv as the real ones did.
 */
function node(files: Record<string, string>, o: NodeOptions = {}): FakeHost {
  const host = new BatchingFakeHost('node1', { '/proc/cmdline': `${OLD_CMDLINE}\n`, [ENV]: emptyEnv, ...files });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: '' });
  host.on((argv) => argv[0] === 'sh' && String(argv[2]).includes('grub2-probe grub-probe'), { stdout: '/usr/sbin/grub-probe\n' });
  host.on(['/usr/sbin/grub-probe', '--target=fs', '/boot/grub'], { stdout: o.fs ?? fixture('stages/cmdline/grub-probe-fs-ext4.txt') });
  host.on(['/usr/sbin/grub-probe', '--target=abstraction', '/boot/grub'], { stdout: o.abstraction ?? fixture('stages/cmdline/grub-probe-abstraction-plain.txt') });
  host.on(['grub-editenv', ENV, 'set', 'sriov_lxc_probe=1'], o.editenvFails ? { code: 1, stderr: o.editenvFails } : {});
  host.on(['grub-editenv', ENV, 'list'], { stdout: fixture('stages/cmdline/grub-editenv-list-probe.txt') });
  host.on(['grub-editenv', ENV, 'unset', 'sriov_lxc_probe'], {});
  host.on(['grub-editenv', ENV, 'unset', 'next_entry'], () => {
    host.files.set(ENV, { content: emptyEnv, mode: 0o644 });
    return {};
  });
  host.on(['grub-reboot', 'sriov-lxc-trial'], () => {
    host.files.set(ENV, { content: armedEnv, mode: 0o644 });
    return {};
  });
  host.on(['rm', '-f', SCRIPT], () => {
    host.files.delete(SCRIPT);
    return {};
  });
  host.on(['update-grub'], () => {
    const cfg = updateGrubOutput(host.files.get('/etc/default/grub')?.content, host.files.get(SCRIPT)?.content);
    host.files.set(CFG, { content: o.mkconfig ? o.mkconfig(cfg) : cfg, mode: 0o600 });
    return { stderr: fixture('stages/cmdline/update-grub.stderr') };
  });
  return host;
}

const freshNode = (o: NodeOptions = {}): FakeHost => node({ '/etc/default/grub': stock, [CFG]: freshCfg }, o);

test('the model of update-grub gives the real output for the trial script', (t) => {
  t.is(updateGrubOutput(stock, trialScript), trialCfg);
});

test('fresh node: the plan copies the default entry into a trial entry and arms it; /etc/default/grub waits', async (t) => {
  const host = freshNode();
  const result = await kernelCmdlineStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    `copy the default entry "Debian GNU/Linux" into a trial entry (${SCRIPT}) that boots root=/dev/vda1 ro  quiet ${PAPER_PARAMS} panic=10: add ${PAPER_PARAMS}, panic=10 unless it reboots on panic already`,
    'regenerate /boot/grub/grub.cfg: update-grub',
    'grub-reboot sriov-lxc-trial: the next boot only starts the trial entry; if its kernel does not come up, the boot after it starts "Debian GNU/Linux" again',
    '/etc/default/grub is changed after the trial boot came up with the params (stage kernel-cmdline-commit)',
  ]);
  const scriptLines = trialScript.trimEnd().split('\n');
  t.deepEqual(result.diffs, [{ path: SCRIPT, diff: ['--- /dev/null', `+++ b${SCRIPT}`, `@@ -0,0 +1,${scriptLines.length} @@`, ...scriptLines.map((l) => `+${l}`), ''].join('\n') }]);
  t.false(host.calls.some((c) => c.kind === 'writeFile'), 'check writes nothing');
  t.false(host.commands.some((c) => c.startsWith('grub-editenv')), 'check does not probe grubenv by writing it');
});

test('apply: probe grubenv, write the trial script, update-grub, grub-reboot; the default entry is untouched', async (t) => {
  const host = freshNode();
  const ctx = context(host);
  await kernelCmdlineStage.apply(ctx);
  t.is(host.files.get(SCRIPT)?.content, trialScript);
  t.is(host.files.get(SCRIPT)?.mode, 0o755);
  t.is(host.files.get('/etc/default/grub')?.content, stock, '/etc/default/grub unchanged');
  t.false(host.files.has('/etc/default/grub.sriov-lxc.bak'));
  t.deepEqual(host.commands.filter((c) => !c.startsWith('test -d') && !c.startsWith('sh -c') && !c.includes('grub-probe')), [
    `grub-editenv ${ENV} set sriov_lxc_probe=1`,
    `grub-editenv ${ENV} list`,
    `grub-editenv ${ENV} unset sriov_lxc_probe`,
    'update-grub',
    'grub-reboot sriov-lxc-trial',
  ]);
  t.deepEqual((host as BatchingFakeHost).batches.filter((b) => b.some((c) => c.includes('sriov_lxc_probe'))), [
    [`grub-editenv ${ENV} set sriov_lxc_probe=1`, `grub-editenv ${ENV} list`, `grub-editenv ${ENV} unset sriov_lxc_probe`],
  ], 'the grubenv probe is one round trip');
  const outputs = await kernelCmdlineStage.verify(ctx);
  t.deepEqual(outputs, {
    method: 'trial',
    phase: 'armed',
    grubCfg: CFG,
    grubenv: ENV,
    trialEntry: 'sriov-lxc trial: Debian GNU/Linux',
    params: `root=/dev/vda1 ro  quiet ${PAPER_PARAMS} panic=10`,
    fallbackEntry: 'Debian GNU/Linux',
    fallbackParams: 'root=/dev/vda1 ro  quiet',
    // The boot method detected and the edit, recorded for the reboot and commit stages.
    bootMethod: 'grub-defaults',
    how: 'edit',
    add: PAPER_PARAMS.split(' '),
    remove: ['iommu=pt'],
  });
  t.deepEqual(await kernelCmdlineStage.check(ctx), {
    done: true,
    reason: `the next boot only starts the trial entry "sriov-lxc trial: Debian GNU/Linux" with ${PAPER_PARAMS}; the default entry "Debian GNU/Linux" stays as it is`,
  });
});

test('a crash after the script was written, before update-grub: the next run finishes the arming', async (t) => {
  const host = node({ '/etc/default/grub': stock, [CFG]: freshCfg, [SCRIPT]: trialScript });
  const ctx = context(host);
  const result = await kernelCmdlineStage.check(ctx);
  t.false(result.done);
  if (!result.done) t.deepEqual(result.diffs, [], 'the script is already as planned');
  await kernelCmdlineStage.apply(ctx);
  t.like(await kernelCmdlineStage.verify(ctx), { phase: 'armed' });
  t.false(host.calls.some((c) => c.kind === 'writeFile' && c.path === SCRIPT), 'the script is not rewritten');
});

test('a grubenv that grub-reboot did not change: verify says the next boot is not the trial', async (t) => {
  const host = freshNode();
  await kernelCmdlineStage.apply(context(host));
  host.files.set(ENV, { content: emptyEnv, mode: 0o644 });
  const error = await t.throwsAsync(kernelCmdlineStage.verify(context(host)), { instanceOf: FatalError });
  t.is(error?.message, `node1: after grub-reboot sriov-lxc-trial, the next boot entry "Debian GNU/Linux" (GRUB_DEFAULT=0) lacks ${PAPER_PARAMS}`);
  t.regex(error?.hint ?? '', /^something else sets next_entry in \/boot\/grub\/grubenv/);
});

test('the reboot stage boots the armed trial once and names it in its plan', async (t) => {
  const host = node({ '/etc/default/grub': stock, [CFG]: trialCfg, [SCRIPT]: trialScript, [ENV]: armedEnv });
  host.on(['lsmod'], { stdout: fixture('stages/reboot/lsmod-lab-ixgbe-ixgbevf.txt') });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: '' });
  const armed = await kernelCmdlineStage.verify(context(host));
  const result = await rebootStage.check(context(host, plan(), { 'kernel-cmdline': armed }));
  if (result.done) return t.fail('expected a reboot');
  t.is(result.plan.at(-1), 'reboot node1 once into the trial entry "sriov-lxc trial: Debian GNU/Linux" (the default stays "Debian GNU/Linux") and wait for the new boot');
});

test('the trial came up: reboot verify passes, commit writes GRUB_CMDLINE_LINUX and removes the trial', async (t) => {
  // GRUB cleared next_entry before it started the trial kernel.
  const host = node({ '/etc/default/grub': stock, [CFG]: trialCfg, [SCRIPT]: trialScript, '/proc/cmdline': `${TRIAL_CMDLINE}\n` });
  host.on(['lsmod'], { stdout: fixture('stages/reboot/lsmod-lab-ixgbe-ixgbevf.txt') });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: '' });
  const armed = { method: 'trial', phase: 'armed', trialEntry: 'sriov-lxc trial: Debian GNU/Linux', params: 'x', fallbackEntry: 'Debian GNU/Linux', grubenv: ENV };
  t.like(await rebootStage.verify(context(host, plan(), { 'kernel-cmdline': armed })), { cmdline: TRIAL_CMDLINE });
  t.deepEqual(await kernelCmdlineStage.check(context(host)), { done: true, reason: `the running kernel already has ${PAPER_PARAMS}; kernel-cmdline-commit makes them the default` });
  t.like(await kernelCmdlineStage.verify(context(host)), { method: 'trial', phase: 'booted', cmdline: TRIAL_CMDLINE, bootMethod: 'grub-defaults' });

  const ctx = context(host);
  const result = await kernelCmdlineCommitStage.check(ctx);
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    `/etc/default/grub: add ${PAPER_PARAMS} to GRUB_CMDLINE_LINUX`,
    'keep the original as /etc/default/grub.sriov-lxc.bak',
    `remove ${SCRIPT}`,
    'regenerate /boot/grub/grub.cfg: update-grub',
  ]);
  await kernelCmdlineCommitStage.apply(ctx);
  t.is(host.files.get('/etc/default/grub')?.content, configured);
  t.is(host.files.get('/etc/default/grub.sriov-lxc.bak')?.content, stock);
  t.false(host.files.has(SCRIPT));
  t.deepEqual(await kernelCmdlineCommitStage.verify(ctx), {
    method: 'default',
    bootMethod: 'grub-defaults',
    paramsFile: '/etc/default/grub',
    grubCfg: CFG,
    entry: 'Debian GNU/Linux',
    chosenBy: 'GRUB_DEFAULT=0',
    params: `root=/dev/vda1 ro ${PAPER_PARAMS} quiet`,
    backup: '/etc/default/grub.sriov-lxc.bak',
    how: 'edit',
    add: PAPER_PARAMS.split(' '),
    remove: ['iommu=pt'],
  });
  t.true((await kernelCmdlineCommitStage.check(ctx)).done);
  t.like(await kernelCmdlineStage.check(ctx), { done: true, reason: `/etc/default/grub and the default boot entry "Debian GNU/Linux" have ${PAPER_PARAMS}` });
});

test('a commit stopped after /etc/default/grub was written is finished, even after an unplanned reboot', async (t) => {
  // The node rebooted into the old default before grub.cfg was regenerated: /proc/cmdline is old.
  const host = node({ '/etc/default/grub': configured, '/etc/default/grub.sriov-lxc.bak': stock, [CFG]: trialCfg, [SCRIPT]: trialScript });
  const ctx = context(host);
  const result = await kernelCmdlineCommitStage.check(ctx);
  t.false(result.done);
  await kernelCmdlineCommitStage.apply(ctx);
  t.like(await kernelCmdlineCommitStage.verify(ctx), { entry: 'Debian GNU/Linux', params: `root=/dev/vda1 ro ${PAPER_PARAMS} quiet` });
});

test('bad cmdline: the node came back on its old entry; reboot verify names the params and the previous configuration', async (t) => {
  // The trial kernel panicked; GRUB had cleared next_entry, so the reboot after panic=10 started the default.
  const host = node({ '/etc/default/grub': stock, [CFG]: trialCfg, [SCRIPT]: trialScript });
  host.on(['lsmod'], { stdout: fixture('stages/reboot/lsmod-lab-ixgbe-ixgbevf.txt') });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: '' });
  const armed = await kernelCmdlineStage.verify(context(node({ '/etc/default/grub': stock, [CFG]: trialCfg, [SCRIPT]: trialScript, [ENV]: armedEnv })));
  const error = await t.throwsAsync(rebootStage.verify(context(host, plan(), { 'kernel-cmdline': armed })), { instanceOf: FatalError });
  t.is(
    error?.message,
    `node1: the trial boot with the new params ${PAPER_PARAMS} did not come up: GRUB started "sriov-lxc trial: Debian GNU/Linux" once, and the node is back on its previous configuration, the unchanged default entry "Debian GNU/Linux" (/proc/cmdline: ${OLD_CMDLINE}; it lacks intel_iommu=off (absent), default_hugepagesz=2M (absent), hugepagesz=2M (absent), ixgbe.max_vfs=8,8 (absent))`,
  );
  t.regex(error?.hint ?? '', /^the kernel with these params panicked or hung/);
  // Nothing is made the default from a trial that did not come up.
  const commit = await t.throwsAsync(kernelCmdlineCommitStage.check(context(host)), { instanceOf: FatalError });
  t.is(commit?.message, `node1: not making ${PAPER_PARAMS} the default: the running kernel does not have them, so no boot has shown that they work (/proc/cmdline: ${OLD_CMDLINE})`);
  // Alone, the reboot stage refuses to reboot into the old default.
  const reboot = await t.throwsAsync(rebootStage.check(context(host, plan(), { 'kernel-cmdline': armed })), { instanceOf: FatalError });
  t.is(reboot?.message, `node1: rebooting now would not give the kernel the planned params: the next boot entry "Debian GNU/Linux" (GRUB_DEFAULT=0) lacks ${PAPER_PARAMS}`);
  // --retry-failed (reboot failed) starts at kernel-cmdline, which arms a new trial by itself
  // (the reboot budget limits how often); then the reboot goes into it.
  const ids = PROVISION_STAGES.map((s) => s.id);
  const decisions = decide({ retryFailed: true }, ids, (id) => (id === 'reboot' ? 'failed' : 'done'), (id) => PROVISION_STAGES.find((s) => s.id === id)?.retryFrom);
  t.is(ids[decisions.findIndex((d) => d.run)], 'kernel-cmdline');
  const ctx = context(host);
  t.false((await kernelCmdlineStage.check(ctx)).done);
  await kernelCmdlineStage.apply(ctx);
  const rearmed = await kernelCmdlineStage.verify(ctx);
  t.like(rearmed, { method: 'trial', phase: 'armed' });
  const again = await rebootStage.check(context(host, plan(), { 'kernel-cmdline': rearmed }));
  t.like(again, { done: false });
  t.regex(again.done ? '' : (again.plan.at(-1) ?? ''), /^reboot node1 once into the trial entry "sriov-lxc trial: Debian GNU\/Linux"/);
});

test('GRUB never read grubenv: next_entry still set after the reboot is a different diagnosis', async (t) => {
  const host = node({ '/etc/default/grub': stock, [CFG]: trialCfg, [SCRIPT]: trialScript, [ENV]: armedEnv });
  host.on(['lsmod'], { stdout: fixture('stages/reboot/lsmod-lab-ixgbe-ixgbevf.txt') });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: '' });
  const armed = await kernelCmdlineStage.verify(context(host));
  const error = await t.throwsAsync(rebootStage.verify(context(host, plan(), { 'kernel-cmdline': armed })), { instanceOf: FatalError });
  t.regex(error?.message ?? '', /^node1: the node rebooted without starting the trial entry "sriov-lxc trial: Debian GNU\/Linux": next_entry=sriov-lxc-trial is still set in \/boot\/grub\/grubenv/);
  t.regex(error?.hint ?? '', /efibootmgr -v/);
});

test('grubenv on btrfs: no trial, with the reason and the way out; trialBoot: false uses the plain method', async (t) => {
  const host = freshNode({ fs: fixture('stages/cmdline/grub-probe-fs-btrfs.txt') });
  const error = await t.throwsAsync(kernelCmdlineStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: no trial boot possible: /boot/grub/grubenv is on btrfs, which GRUB cannot write at boot: it would not clear the one-shot entry, and a failing trial kernel would be booted again and again');
  t.regex(error?.hint ?? '', /trialBoot: false .*--no-trial-boot/);
  await t.throwsAsync(kernelCmdlineStage.apply(context(host)), { instanceOf: FatalError });
  t.false(host.files.has(SCRIPT), 'nothing written');

  const plain = context(freshNode({ fs: 'btrfs\n' }), plan('    trialBoot: false'));
  const result = await kernelCmdlineStage.check(plain);
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [`/etc/default/grub: add ${PAPER_PARAMS} to GRUB_CMDLINE_LINUX`, 'keep the original as /etc/default/grub.sriov-lxc.bak', 'regenerate /boot/grub/grub.cfg: update-grub']);
  await kernelCmdlineStage.apply(plain);
  t.like(await kernelCmdlineStage.verify(plain), { method: 'default', entry: 'Debian GNU/Linux' });
  t.true((await kernelCmdlineCommitStage.check(plain)).done, 'nothing left for the commit stage');
});

test('grubenv on LVM: GRUB has no write support there either', async (t) => {
  const error = await t.throwsAsync(kernelCmdlineStage.check(context(freshNode({ abstraction: fixture('stages/cmdline/grub-probe-abstraction-lvm.txt') }))), { instanceOf: FatalError });
  t.is(error?.message, 'node1: no trial boot possible: /boot/grub/grubenv is on diskfilter lvm storage, which GRUB cannot write at boot: it would not clear the one-shot entry, and a failing trial kernel would be booted again and again');
});

test('a grubenv that is not a 1024-byte environment block is refused', async (t) => {
  const host = node({ '/etc/default/grub': stock, [CFG]: freshCfg, [ENV]: emptyEnv.slice(0, 1000) });
  const error = await t.throwsAsync(kernelCmdlineStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: no trial boot possible: /boot/grub/grubenv is 1000 bytes, not the 1024 of a GRUB environment block (edited by hand?)');
});

test('grub-editenv cannot write grubenv: apply stops before changing anything', async (t) => {
  // grub-editenv's message for a read-only /boot (grub-editenv writes FILE.new, then renames it).
  const host = freshNode({ editenvFails: "grub-editenv: error: cannot open `/boot/grub/grubenv.new': Read-only file system.\n" });
  const error = await t.throwsAsync(kernelCmdlineStage.apply(context(host)));
  t.regex(error?.message ?? '', /grub-editenv \/boot\/grub\/grubenv set sriov_lxc_probe=1/);
  t.false(host.commands.includes(`grub-editenv ${ENV} list`), 'the probe stops at the failed set');
  t.false(host.files.has(SCRIPT));
  t.false(host.commands.includes('update-grub'));
});

// grub.cfg without grub-mkconfig's next_entry block in its header (hand-written, or made by a
// tool that does not clear the one-shot): GRUB would boot the trial entry on every boot.
const noOneShot = (cfg: string): string => cfg.replace(/^\s*save_env next_entry\s*$/m, '');

test('a grub.cfg whose header does not clear a one-shot next_entry: no trial, refused before anything is written', async (t) => {
  t.not(noOneShot(freshCfg), freshCfg);
  const host = node({ '/etc/default/grub': stock, [CFG]: noOneShot(freshCfg) });
  const error = await t.throwsAsync(kernelCmdlineStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: no trial boot possible: /boot/grub/grub.cfg does not boot a one-shot next_entry (its header is not grub-mkconfig\'s)');
  t.regex(error?.hint ?? '', /trialBoot: false/);
  await t.throwsAsync(kernelCmdlineStage.apply(context(host)), { instanceOf: FatalError });
  t.false(host.files.has(SCRIPT));
});

test('update-grub makes a grub.cfg that does not clear the one-shot: refused before grub-reboot arms it', async (t) => {
  const host = freshNode({ mkconfig: noOneShot });
  const error = await t.throwsAsync(kernelCmdlineStage.apply(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: no trial boot possible: /boot/grub/grub.cfg does not boot a one-shot next_entry (its header is not grub-mkconfig\'s)');
  t.false(host.commands.includes('grub-reboot sriov-lxc-trial'));
});

test('no grub.cfg at all: no default entry to copy, and the way to make one', async (t) => {
  const host = node({ '/etc/default/grub': stock });
  host.on(['update-grub'], {});
  const error = await t.throwsAsync(kernelCmdlineStage.apply(context(host)), { instanceOf: FatalError });
  t.regex(error?.message ?? '', /^node1: no trial boot possible: there is no \/boot\/grub\/grub\.cfg to copy the default entry from \(regenerate it with update-grub\)$/);
  t.false(host.commands.includes('grub-reboot sriov-lxc-trial'));
});

test('GRUB_DEFAULT naming the trial entry would make the trial permanent: refused', async (t) => {
  const host = node({ '/etc/default/grub': stock.replace('GRUB_DEFAULT=0', 'GRUB_DEFAULT=sriov-lxc-trial'), [CFG]: freshCfg });
  host.on(['update-grub'], () => {
    host.files.set(CFG, { content: trialCfg, mode: 0o600 });
    return {};
  });
  const error = await t.throwsAsync(kernelCmdlineStage.apply(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: the default boot entry is the trial entry sriov-lxc-trial (GRUB_DEFAULT=sriov-lxc-trial)');
  t.is(error?.hint, 'point GRUB_DEFAULT in /etc/default/grub (or saved_entry) at the entry the node normally boots, then run again');
  t.false(host.commands.includes('grub-reboot sriov-lxc-trial'));
});

test('a grub.cfg older than the installed kernel: the trial is copied again from the regenerated default entry', async (t) => {
  // The same capture with the kernel it lists renamed: as if 6.1.0-21 was installed after the last update-grub.
  const staleCfg = freshCfg.replaceAll('6.1.0-21-amd64', '6.1.0-18-amd64');
  const host = node({ '/etc/default/grub': stock, [CFG]: staleCfg });
  await kernelCmdlineStage.apply(context(host));
  t.is(host.files.get(SCRIPT)?.content, trialScript);
  t.is(host.commands.filter((c) => c === 'update-grub').length, 2);
  t.is(host.calls.filter((c) => c.kind === 'writeFile' && c.path === SCRIPT).length, 2);
});

test('commit refuses params that never booted, unless trialBoot is false', async (t) => {
  const host = freshNode();
  const error = await t.throwsAsync(kernelCmdlineCommitStage.check(context(host)), { instanceOf: FatalError });
  t.regex(error?.hint ?? '', /--from kernel-cmdline/);
  t.false((await kernelCmdlineCommitStage.check(context(host, plan('    trialBoot: false')))).done);
});

// A CentOS 7 lab node (grub2-* tools, GRUB_DEFAULT=saved), files captured around a real run of the
// three stages: before, with the trial armed, after the trial boot and after the commit.
test('CentOS 7 lab node: armed with grub2-reboot, booted, committed with grub2-mkconfig', async (t) => {
  const c = (name: string) => fixture(`stages/cmdline/${name}`);
  const stockC7 = c('default-grub-lab-centos7.txt');
  const host = new BatchingFakeHost('node1', {
    '/etc/default/grub': stockC7,
    // Before: the armed capture without the section grub-mkconfig framed the trial script's output in.
    '/boot/grub2/grub.cfg': c('grub2-lab-centos7-trial.cfg').replace(/\n### BEGIN \/etc\/grub\.d\/99_sriov-lxc-trial ###\n[^]*### END \/etc\/grub\.d\/99_sriov-lxc-trial ###\n/, ''),
    '/boot/grub2/grubenv': c('grubenv-lab-centos7-empty'),
    '/proc/cmdline': fixture('stages/reboot/proc-cmdline-lab-before.txt'),
  });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: '' });
  // The lab's CentOS has grub-probe only (a real CentOS 7 has grub2-probe).
  host.on((argv) => argv[0] === 'sh' && String(argv[2]).includes('grub2-probe grub-probe'), { stdout: '/usr/sbin/grub-probe\n' });
  host.on(['/usr/sbin/grub-probe', '--target=fs', '/boot/grub2'], { stdout: c('grub-probe-fs-ext4.txt') });
  host.on(['/usr/sbin/grub-probe', '--target=abstraction', '/boot/grub2'], { stdout: c('grub-probe-abstraction-plain.txt') });
  host.on(['grub2-editenv', '/boot/grub2/grubenv', 'list'], { stdout: c('grub-editenv-list-probe.txt') });
  host.on((argv) => argv[0] === 'grub2-editenv' && (argv[2] === 'set' || argv[2] === 'unset'), {});
  host.on(['grub2-reboot', 'sriov-lxc-trial'], () => {
    host.files.set('/boot/grub2/grubenv', { content: c('grubenv-lab-centos7-next-entry-trial'), mode: 0o644 });
    return {};
  });
  host.on(['rm', '-f', SCRIPT], () => {
    host.files.delete(SCRIPT);
    return {};
  });
  host.on(['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg'], () => {
    const trial = host.files.has(SCRIPT);
    if (trial) t.is(host.files.get(SCRIPT)?.content, c('trial-script-lab-centos7.txt'), 'the script the real run wrote');
    host.files.set('/boot/grub2/grub.cfg', { content: c(trial ? 'grub2-lab-centos7-trial.cfg' : 'grub2-lab-centos7-committed.cfg'), mode: 0o644 });
    return { stderr: c('grub2-mkconfig-lab.stderr') };
  });
  host.on(['lsmod'], { stdout: fixture('stages/reboot/lsmod-lab-ixgbe-ixgbevf.txt') });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: 'dmar0\n' });
  host.on((argv) => argv[0] === 'test' && String(argv[2]).startsWith('/sys/module/'), { code: 1 });
  const labPlan = labNodePlan();
  const outputs: Record<string, StageOutputs> = { 'bios-verify': { distro: nodeDistro(parseOsRelease(fixture('stages/bios/os-release-centos7.txt'))) } };
  const ctx = (): StageContext => ({ host, plan: labPlan, outputs, log: () => {}, signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state' });
  const entry = 'CentOS Linux GNU/Linux, with Linux 6.18.44-fc-v595';

  await kernelCmdlineStage.apply(ctx());
  outputs['kernel-cmdline'] = await kernelCmdlineStage.verify(ctx());
  t.like(outputs['kernel-cmdline'], { phase: 'armed', trialEntry: `sriov-lxc trial: ${entry}`, fallbackEntry: entry, grubenv: '/boot/grub2/grubenv' });
  t.is(host.files.get('/etc/default/grub')?.content, stockC7);

  // The lab booted the trial entry: GRUB consumed next_entry.
  host.files.set('/proc/cmdline', { content: fixture('stages/reboot/proc-cmdline-lab-trial.txt'), mode: 0o444 });
  host.files.set('/boot/grub2/grubenv', { content: c('grubenv-lab-centos7-after-boot'), mode: 0o644 });
  t.like(await rebootStage.verify(ctx()), { cmdline: fixture('stages/reboot/proc-cmdline-lab-trial.txt').trim() });

  await kernelCmdlineCommitStage.apply(ctx());
  t.is(host.files.get('/etc/default/grub')?.content, c('default-grub-lab-centos7-configured.txt'));
  t.like(await kernelCmdlineCommitStage.verify(ctx()), { entry, chosenBy: 'GRUB_DEFAULT=saved, saved_entry=0' });
  t.false(host.files.has(SCRIPT));
});

// Teardown's way back with a trial, on the same Debian node provisioned (/etc/default/grub as the
// commit left it, its original kept): the trial entry is the configured default entry without the
// params; /etc/default/grub is restored only after that boot came up.
const BACKUP = '/etc/default/grub.sriov-lxc.bak';
const CONFIGURED_CMDLINE = bootCmdline(configuredCfg, 'gnulinux-simple-3d81a16b-9af7-4ba0-ae53-ef16fb54f864');
const WITHOUT = `without ${PAPER_PARAMS}`;
const provisionedNode = (files: Record<string, string> = {}): FakeHost =>
  node({ '/etc/default/grub': configured, [BACKUP]: stock, [CFG]: configuredCfg, '/proc/cmdline': `${CONFIGURED_CMDLINE}\n`, ...files });
function teardownNode(files: Record<string, string> = {}): FakeHost {
  const host = provisionedNode(files);
  host.on(['rm', '-f', '--', BACKUP], () => {
    host.files.delete(BACKUP);
    return {};
  });
  return host;
}

test('teardown with a trial: the trial entry boots the default entry without the params; /etc/default/grub waits for that boot', async (t) => {
  const host = teardownNode();
  const result = await kernelCmdlineTeardownStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    `copy the default entry "Debian GNU/Linux" into a trial entry (${SCRIPT}) that boots root=/dev/vda1 ro quiet panic=10: remove ${PAPER_PARAMS} (put on by sriov-lxc), panic=10 unless it reboots on panic already`,
    'regenerate /boot/grub/grub.cfg: update-grub',
    'grub-reboot sriov-lxc-trial: the next boot only starts the trial entry; if its kernel does not come up, the boot after it starts "Debian GNU/Linux" again',
    `/etc/default/grub is changed after the trial boot came up ${WITHOUT} (stage teardown-kernel-cmdline-commit)`,
  ]);
  await kernelCmdlineTeardownStage.apply(context(host));
  // The configured entry's linux line (grub-debian12-configured.cfg) without the paper's params, plus panic=10.
  t.regex(host.files.get(SCRIPT)?.content ?? '', /^\tlinux\t\/vmlinuz-6\.1\.0-21-amd64 root=\/dev\/vda1 ro quiet panic=10$/m);
  t.is(host.files.get('/etc/default/grub')?.content, configured, '/etc/default/grub unchanged');
  t.true(host.commands.includes('grub-reboot sriov-lxc-trial'));
  const armed = await kernelCmdlineTeardownStage.verify(context(host));
  t.like(armed, { method: 'trial', phase: 'armed', trialEntry: 'sriov-lxc trial: Debian GNU/Linux', fallbackEntry: 'Debian GNU/Linux', params: 'root=/dev/vda1 ro quiet panic=10', bootMethod: 'grub-defaults', how: 'restore', add: [], remove: PAPER_PARAMS.split(' ') });
  t.deepEqual(await kernelCmdlineTeardownStage.check(context(host)), {
    done: true,
    reason: `the next boot only starts the trial entry "sriov-lxc trial: Debian GNU/Linux" ${WITHOUT}; the default entry "Debian GNU/Linux" stays as it is`,
  });
  const reboot = await rebootTeardownStage.check(context(host, plan(), { 'teardown-kernel-cmdline': armed }));
  if (reboot.done) return t.fail('expected a reboot');
  t.deepEqual(reboot.plan, [`why: the running kernel still has ${PAPER_PARAMS}`, 'reboot node1 once into the trial entry "sriov-lxc trial: Debian GNU/Linux" (the default stays "Debian GNU/Linux") and wait for the new boot']);
  t.is(await rebootTeardownStage.expects?.(context(host, plan(), { 'teardown-kernel-cmdline': armed })), `a kernel command line ${WITHOUT}`);
});

test('teardown: the trial came up without the params; the commit restores /etc/default/grub, removes the trial and the copy', async (t) => {
  const armedCfg = updateGrubOutput(configured, fixture('stages/cmdline/trial-script-debian12-paper.txt').replace(`quiet ${PAPER_PARAMS} panic=10`, 'quiet panic=10'));
  const trialCmdline = bootCmdline(armedCfg, 'sriov-lxc-trial');
  t.is(trialCmdline, 'BOOT_IMAGE=/vmlinuz-6.1.0-21-amd64 root=/dev/vda1 ro quiet panic=10');
  const host = teardownNode({ [CFG]: armedCfg, [SCRIPT]: 'x', '/proc/cmdline': `${trialCmdline}\n` });
  const armed = { method: 'trial', phase: 'armed', trialEntry: 'sriov-lxc trial: Debian GNU/Linux', params: 'x', fallbackEntry: 'Debian GNU/Linux', grubenv: ENV, add: [], remove: PAPER_PARAMS.split(' ') };
  const outputs = { 'teardown-kernel-cmdline': armed };
  t.deepEqual(await rebootTeardownStage.check(context(host, plan(), outputs)), { done: true, reason: 'skipped: the running boot has none of sriov-lxc\'s params and no VFs on the planned PFs' });
  t.like(await rebootTeardownStage.verify(context(host, plan(), outputs)), { cmdline: trialCmdline });
  t.deepEqual(await kernelCmdlineTeardownStage.check(context(host)), { done: true, reason: `the running kernel is already ${WITHOUT}; teardown-kernel-cmdline-commit makes that the default` });
  const ctx = context(host, plan(), outputs);
  const result = await kernelCmdlineCommitTeardownStage.check(ctx);
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [`/etc/default/grub: restore from ${BACKUP}`, `remove ${SCRIPT}`, 'regenerate /boot/grub/grub.cfg: update-grub', `remove ${BACKUP}`]);
  t.deepEqual(result.diffs?.map((d) => d.path), ['/etc/default/grub']);
  await kernelCmdlineCommitTeardownStage.apply(ctx);
  t.is(host.files.get('/etc/default/grub')?.content, stock);
  t.false(host.files.has(BACKUP));
  t.false(host.files.has(SCRIPT));
  t.is(host.files.get(CFG)?.content, freshCfg);
  t.deepEqual(await kernelCmdlineCommitTeardownStage.verify(ctx), {
    method: 'default',
    bootMethod: 'grub-defaults',
    paramsFile: '/etc/default/grub',
    grubCfg: CFG,
    entry: 'Debian GNU/Linux',
    chosenBy: 'GRUB_DEFAULT=0',
    params: 'root=/dev/vda1 ro  quiet',
    // The arm step's record stands in: the backup it was computed from is gone.
    how: 'nothing',
    add: [],
    remove: PAPER_PARAMS.split(' '),
    kept: [],
  });
});

test('teardown: the trial boot without the params did not come up; nothing is restored without that proof', async (t) => {
  const host = teardownNode({ [SCRIPT]: 'x' });
  const armed = { method: 'trial', phase: 'armed', trialEntry: 'sriov-lxc trial: Debian GNU/Linux', params: 'x', fallbackEntry: 'Debian GNU/Linux', grubenv: ENV, add: [], remove: PAPER_PARAMS.split(' ') };
  const ctx = context(host, plan(), { 'teardown-kernel-cmdline': armed });
  const error = await t.throwsAsync(rebootTeardownStage.verify(ctx), { instanceOf: FatalError });
  t.is(error?.message, `node1: the trial boot ${WITHOUT} did not come up: GRUB started "sriov-lxc trial: Debian GNU/Linux" once, and the node is back on its previous configuration, the unchanged default entry "Debian GNU/Linux" (/proc/cmdline: ${CONFIGURED_CMDLINE}; it still has ${PAPER_PARAMS})`);
  t.regex(error?.hint ?? '', /^the kernel without them panicked or hung .*run teardown again/);
  // The commit's check describes the way back (a dry run shows it all); its apply refuses.
  t.false((await kernelCmdlineCommitTeardownStage.check(ctx)).done);
  const commit = await t.throwsAsync(kernelCmdlineCommitTeardownStage.apply(ctx), { instanceOf: FatalError });
  t.is(commit?.message, `node1: not making the kernel command line ${WITHOUT} the default: the running kernel is not, so no boot has shown that it works (/proc/cmdline: ${CONFIGURED_CMDLINE})`);
  t.is(host.files.get('/etc/default/grub')?.content, configured);
  t.true(host.files.has(BACKUP));
});

test('teardown\'s commit stopped before the copy was removed: the way back is the default, the commit finishes by removing it', async (t) => {
  // /etc/default/grub restored and grub.cfg regenerated; the node rebooted before `rm` of the copy.
  const host = teardownNode({ '/etc/default/grub': stock, [CFG]: freshCfg, '/proc/cmdline': `${OLD_CMDLINE}\n` });
  t.like(await kernelCmdlineTeardownStage.check(context(host)), { done: true, reason: `/etc/default/grub and the default boot entry "Debian GNU/Linux" are ${WITHOUT}` });
  const result = await kernelCmdlineCommitTeardownStage.check(context(host));
  if (result.done) return t.fail('expected the copy to be removed');
  t.is(result.plan.at(-1), `remove ${BACKUP}`);
  t.deepEqual(result.diffs, [], '/etc/default/grub is as it will stay');
  await kernelCmdlineCommitTeardownStage.apply(context(host));
  t.false(host.files.has(BACKUP));
  t.is(host.files.get('/etc/default/grub')?.content, stock);
  t.like(await kernelCmdlineCommitTeardownStage.verify(context(host)), { entry: 'Debian GNU/Linux', kept: [] });
});

test('the trial came up but is not the default yet: the reboot stage will not reboot into the old default', async (t) => {
  // After the trial boot GRUB cleared next_entry; the VF driver is not loaded, so the reboot stage is not done.
  const host = node({ '/etc/default/grub': stock, [CFG]: trialCfg, [SCRIPT]: trialScript, '/proc/cmdline': `${TRIAL_CMDLINE}\n` });
  host.on(['lsmod'], { stdout: fixture('stages/reboot/lsmod-lab-ixgbe.txt') });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: '' });
  const error = await t.throwsAsync(rebootStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, `node1: the running kernel is with ${PAPER_PARAMS} from a trial boot, but that is not the default yet: rebooting now would start the next boot entry "Debian GNU/Linux" (GRUB_DEFAULT=0) lacks ${PAPER_PARAMS}`);
  t.is(error?.hint, 'make it the default first: run with --from kernel-cmdline-commit (then the stages after it)');
});

test('a trial entry written back after the commit: verify says the trial is not cleaned up, the next check plans its removal', async (t) => {
  const host = node({ '/etc/default/grub': configured, [BACKUP]: stock, [CFG]: configuredCfg, [SCRIPT]: trialScript, '/proc/cmdline': `${TRIAL_CMDLINE}\n` });
  const error = await t.throwsAsync(kernelCmdlineCommitStage.verify(context(host)), { instanceOf: FatalError });
  t.is(error?.message, `node1: the trial boot is not cleaned up: still to remove ${SCRIPT}`);
  t.is(error?.hint, 'something else on the node writes them back; remove them by hand and run again');
  const check = await kernelCmdlineCommitStage.check(context(host));
  t.false(check.done);
  t.true(!check.done && check.plan.includes(`remove ${SCRIPT}`), JSON.stringify(check));
});

test('the arm step on a node already as the direction leaves it: done, with what it records', async (t) => {
  // Provisioned: the outputs are the node's configuration, whatever an earlier run recorded.
  const configuredNode = provisionedNode({ '/proc/cmdline': `${CONFIGURED_CMDLINE}\n` });
  const old = { method: 'trial', phase: 'booted', add: ['x=1'], remove: [] };
  const done = await kernelCmdlineStage.check(context(configuredNode, plan(), { 'kernel-cmdline': old }));
  t.like(done, { done: true, reason: `/etc/default/grub and the default boot entry "Debian GNU/Linux" have ${PAPER_PARAMS}`, outputs: { method: 'default', how: 'edit', entry: 'Debian GNU/Linux', add: PAPER_PARAMS.split(' ') } });
  t.false(done.done && 'kept' in (done.outputs ?? {}), 'only teardown\'s commit names kept files');
  // Teardown on a node sriov-lxc never provisioned: nothing to take off.
  const fresh = freshNode();
  const never = await kernelCmdlineTeardownStage.check(context(fresh));
  t.like(never, { done: true, reason: 'nothing of sriov-lxc in /etc/default/grub (removed, or never written)', outputs: { method: 'default', how: 'nothing', entry: 'Debian GNU/Linux' } });
  // A finished teardown keeps the arm step's record (the edit it took off), as it was.
  const record = { method: 'trial', phase: 'armed', add: [], remove: PAPER_PARAMS.split(' '), bootMethod: 'grub-defaults' };
  const again = await kernelCmdlineTeardownStage.check(context(fresh, plan(), { 'teardown-kernel-cmdline': record }));
  t.deepEqual(again, { done: true, reason: 'nothing of sriov-lxc in /etc/default/grub (removed, or never written)', outputs: record });
  t.not(again.done && again.outputs, record, 'a copy');
});

test('teardown\'s reboot before its arm step: refused, the next boot would still have the params', async (t) => {
  const host = provisionedNode();
  const error = await t.throwsAsync(rebootTeardownStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, `node1: rebooting now would not give the kernel the command line teardown leaves: the next boot entry "Debian GNU/Linux" (GRUB_DEFAULT=0) still has ${PAPER_PARAMS}`);
  t.is(error?.hint, 'run teardown-kernel-cmdline first (--from teardown-kernel-cmdline, or --retry-failed, which starts there): it prepares the boot entry, or arms the one-shot trial boot again');
});

test('the commit\'s verify on a node the commit has not changed: says what is missing', async (t) => {
  const host = freshNode();
  const error = await t.throwsAsync(kernelCmdlineCommitStage.verify(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: /etc/default/grub does not have the planned params after writing it');
});

test('without a trial, an arm step whose update-grub did not take: verify says so instead of looking for a trial', async (t) => {
  const host = freshNode({ mkconfig: () => freshCfg });
  const ctx = context(host, plan('    trialBoot: false'));
  await kernelCmdlineStage.apply(ctx);
  const error = await t.throwsAsync(kernelCmdlineStage.verify(ctx), { instanceOf: FatalError });
  t.is(error?.message, `node1: after update-grub, the default boot entry "Debian GNU/Linux" (GRUB_DEFAULT=0) lacks ${PAPER_PARAMS}`);
});

test('next_entry still set after the reboot, the trial entry gone from grub.cfg since: still the GRUB that did not read grubenv', async (t) => {
  // The header of every grub.cfg here clears a set next_entry at boot (fresh capture, line 13-16).
  const host = node({ '/etc/default/grub': stock, [CFG]: freshCfg, [ENV]: armedEnv });
  host.on(['lsmod'], { stdout: fixture('stages/reboot/lsmod-lab-ixgbe-ixgbevf.txt') });
  host.on(['ls', '-A', '/sys/class/iommu'], { stdout: '' });
  const armed = { method: 'trial', phase: 'armed', trialEntry: 'sriov-lxc trial: Debian GNU/Linux', params: 'x', fallbackEntry: 'Debian GNU/Linux', grubenv: ENV };
  const error = await t.throwsAsync(rebootStage.verify(context(host, plan(), { 'kernel-cmdline': armed })), { instanceOf: FatalError });
  t.regex(error?.message ?? '', /^node1: the node rebooted without starting the trial entry "sriov-lxc trial: Debian GNU\/Linux": next_entry=sriov-lxc-trial is still set in \/boot\/grub\/grubenv/);
});

test('what provisioning\'s reboot expects (the engine\'s budget message): the params put on, not those the arm step took off the entry', async (t) => {
  const host = node({ '/etc/default/grub': stock, [CFG]: trialCfg, [SCRIPT]: trialScript, [ENV]: armedEnv });
  const armed = await kernelCmdlineStage.verify(context(host));
  t.like(armed, { remove: ['iommu=pt'] });
  t.is(await rebootStage.expects?.(context(host, plan(), { 'kernel-cmdline': armed })), `a kernel command line with ${PAPER_PARAMS}`);
});
