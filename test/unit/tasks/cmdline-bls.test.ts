// kernel-cmdline and kernel-cmdline-commit on an EL9 node that boots Boot Loader Specification
// entries: grub.cfg only runs blscfg (captured on Rocky 8.10), grubby --info=ALL as captured on
// Rocky 9.1, the default entry's BLS file in the format kernel-install writes. The trial is a BLS
// file armed with grub2-reboot; the commit is grubby on every entry plus /etc/kernel/cmdline.
import test from 'ava';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { labNodePlan } from '../../helpers/plans.ts';
import { kernelCmdlineStage } from '../../../tasks/kernel-cmdline.ts';
import { kernelCmdlineCommitStage } from '../../../tasks/kernel-cmdline-commit.ts';
import { kernelCmdlineTeardownStage } from '../../../tasks/teardown-kernel-cmdline.ts';
import { DETECT_BOOT_METHOD } from '../../../node/boot/boot-method.ts';
import { contradictingParams } from '../../../node/boot/grub-defaults.ts';
import { nodeDistro } from '../../../node/facts/distro.ts';
import { parseOsRelease } from '../../../node/parse/os-release.ts';
import type { StageContext } from '../../../engine/stage.ts';

const ID = 'a98618aa1631441dbb52c75a50834a0a-5.14.0-162.6.1.el9_1.x86_64';
const ENTRY = `/boot/loader/entries/${ID}.conf`;
const TRIAL = '/boot/loader/entries/sriov-lxc-trial.conf';
const ENV = '/boot/grub2/grubenv';
const ARGS = 'ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M rd.lvm.lv=rl_devmaster1/root net.ifnames=0';
const OPTIONS = `root=/dev/mapper/rl_devmaster1-root ${ARGS}`;
const entryFile = `title Rocky Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Blue Onyx)\nversion 5.14.0-162.6.1.el9_1.x86_64\nlinux /vmlinuz-5.14.0-162.6.1.el9_1.x86_64\ninitrd /initramfs-5.14.0-162.6.1.el9_1.x86_64.img $tuned_initrd\noptions ${OPTIONS}\ngrub_users $grub_users\ngrub_arg --unrestricted\ngrub_class rocky\n`;
const grubenv = (vars: string): string => {
  const body = `# GRUB Environment Block\n${vars}`;
  return body + '#'.repeat(1024 - body.length);
};
const plan = labNodePlan();
const PARAMS = plan.kernelParams.join(' ');

function node(files: Record<string, string> = {}, efi = false, grubbyInfo = fixture('parse/grubby-info-all-rocky9.txt')): FakeHost {
  const host = new BatchingFakeHost('node1', {
    '/boot/grub2/grub.cfg': fixture('parse/grub-rocky8-bls.cfg'),
    '/etc/default/grub': 'GRUB_TIMEOUT=5\nGRUB_DEFAULT=saved\nGRUB_DISABLE_SUBMENU=true\nGRUB_CMDLINE_LINUX="crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M rd.lvm.lv=rl_devmaster1/root net.ifnames=0"\nGRUB_ENABLE_BLSCFG=true\n',
    [ENV]: grubenv(`saved_entry=${ID}\n`),
    '/etc/kernel/cmdline': `${OPTIONS}\n`,
    [ENTRY]: entryFile,
    ...files,
  });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: efi ? 0 : 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: 'entries\ngrubby\n' });
  host.on(['grubby', '--info=ALL'], { stdout: grubbyInfo });
  host.on((argv) => argv[0] === 'sh' && String(argv[2]).includes('grub2-probe grub-probe'), { stdout: '/usr/sbin/grub2-probe\n' });
  host.on(['/usr/sbin/grub2-probe', '--target=fs', '/boot/grub2'], { stdout: 'xfs\n' });
  host.on(['/usr/sbin/grub2-probe', '--target=abstraction', '/boot/grub2'], { stdout: '\n' });
  host.on(['grub2-editenv', ENV, 'set', 'sriov_lxc_probe=1'], {});
  host.on(['grub2-editenv', ENV, 'list'], { stdout: `saved_entry=${ID}\nsriov_lxc_probe=1\n` });
  host.on(['grub2-editenv', ENV, 'unset', 'sriov_lxc_probe'], {});
  host.on(['grub2-reboot', 'sriov-lxc-trial'], () => {
    host.files.set(ENV, { content: grubenv(`saved_entry=${ID}\nnext_entry=sriov-lxc-trial\n`), mode: 0o644 });
    return {};
  });
  return host;
}

const context = (host: FakeHost): StageContext => ({
  host,
  plan,
  outputs: { 'bios-verify': { distro: nodeDistro(parseOsRelease(fixture('parse/os-release-rocky9.txt'))) } },
  log: () => {},
  signal: new AbortController().signal,
  runId: 'r1',
  stateDir: '/tmp/state',
});

test('BLS node: the plan copies the default BLS entry into a trial entry, no grub.cfg regeneration', async (t) => {
  const result = await kernelCmdlineStage.check(context(node()));
  t.false(result.done);
  const lines = result.done ? [] : result.plan;
  t.true(lines.some((l) => l.startsWith(`copy the default entry "Rocky Linux (5.14.0-162.6.1.el9_1.x86_64) 9.1 (Blue Onyx)" into a trial entry (${TRIAL})`)), lines.join('\n'));
  t.false(lines.some((l) => l.startsWith('regenerate')), 'blscfg reads the entries at boot');
  t.is(lines.length, 3, lines.join('\n'));
  t.regex(lines[1] ?? '', /^grub2-reboot sriov-lxc-trial: /);
  t.true(lines.some((l) => l.includes('grubby --update-kernel=ALL')), lines.join('\n'));
});

test('BLS node: apply writes the trial BLS file (params, panic=10, marked title) and arms it with grub2-reboot; the default entry is untouched', async (t) => {
  const host = node();
  await kernelCmdlineStage.apply(context(host));
  const trial = host.files.get(TRIAL)?.content ?? '';
  t.regex(trial, new RegExp(`^options ${OPTIONS.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${PARAMS} panic=10$`, 'm'));
  t.regex(trial, /^title sriov-lxc trial: Rocky Linux/m);
  t.regex(trial, /^linux \/vmlinuz-5\.14\.0-162\.6\.1\.el9_1\.x86_64$/m);
  t.is(host.files.get(ENTRY)?.content, entryFile);
  t.true(host.commands.includes('grub2-reboot sriov-lxc-trial'));
  t.false(host.commands.some((c) => c.startsWith('grub2-set-default')), 'saved_entry already names the default');
  t.false(host.commands.some((c) => c.startsWith('grub2-mkconfig')));
});

test('BLS node without saved_entry: the default is pinned by its id before the trial entry is added', async (t) => {
  const host = node({ [ENV]: grubenv('') });
  host.on(['grub2-set-default', ID], {});
  await kernelCmdlineStage.apply(context(host));
  const at = (cmd: string): number => host.commands.indexOf(cmd);
  t.true(at(`grub2-set-default ${ID}`) >= 0 && at(`grub2-set-default ${ID}`) < at('grub2-reboot sriov-lxc-trial'));
});

test('BLS node after the trial came up: commit removes the trial, runs grubby on every entry and writes /etc/kernel/cmdline', async (t) => {
  const host = node({ '/proc/cmdline': `BOOT_IMAGE=(hd0,msdos1)/vmlinuz-5.14.0-162.6.1.el9_1.x86_64 ${OPTIONS} ${PARAMS} panic=10\n`, [TRIAL]: 'title sriov-lxc trial\n' });
  host.on(['rm', '-f', TRIAL], () => {
    host.files.delete(TRIAL);
    return {};
  });
  host.on((argv) => argv[0] === 'grubby' && argv[1] === '--update-kernel=ALL', {});
  await kernelCmdlineCommitStage.apply(context(host));
  const grubby = host.calls.find((c) => c.kind === 'exec' && c.argv?.[1] === '--update-kernel=ALL')?.argv;
  const remove = contradictingParams(plan);
  t.deepEqual(grubby, ['grubby', '--update-kernel=ALL', ...(remove.length > 0 ? [`--remove-args=${remove.join(' ')}`] : []), `--args=${PARAMS}`]);
  t.is(host.files.get('/etc/kernel/cmdline')?.content, `${OPTIONS} ${PARAMS}\n`);
  t.false(host.files.has(TRIAL));
  t.true(host.commands.indexOf(`rm -f ${TRIAL}`) < host.commands.findIndex((c) => c.startsWith('grubby --update-kernel=ALL')), 'the trial goes first: grubby ALL would edit it too');
});

test('BLS node: the commit keeps /etc/kernel/cmdline\'s original; teardown takes the params off every entry with grubby and restores it, then removes the copy', async (t) => {
  const BACKUP = '/etc/kernel/cmdline.sriov-lxc.bak';
  const host = node({ '/proc/cmdline': `BOOT_IMAGE=(hd0,msdos1)/vmlinuz-5.14.0-162.6.1.el9_1.x86_64 ${OPTIONS} ${PARAMS} panic=10\n` });
  host.on((argv) => argv[0] === 'grubby' && argv[1] === '--update-kernel=ALL', {});
  await kernelCmdlineCommitStage.apply(context(host));
  t.is(host.files.get(BACKUP)?.content, `${OPTIONS}\n`, 'the original, kept before the first change');
  // Teardown without a trial (the trial path is the lab's teardown-alma9 test): the captured
  // entries are as grubby lists them; what matters here is what teardown runs and writes.
  host.on(['rm', '-f', '--', BACKUP], () => {
    host.files.delete(BACKUP);
    return {};
  });
  const ctx = { ...context(host), plan: { ...plan, trialBoot: false } };
  const check = await kernelCmdlineTeardownStage.check(ctx);
  t.false(check.done);
  t.true(!check.done && check.plan.includes(`/etc/kernel/cmdline: restore from ${BACKUP}`), check.done ? '' : check.plan.join('\n'));
  const before = host.calls.length;
  await kernelCmdlineTeardownStage.apply(ctx);
  const grubby = host.calls.slice(before).find((c) => c.kind === 'exec' && c.argv?.[1] === '--update-kernel=ALL')?.argv;
  t.deepEqual(grubby, ['grubby', '--update-kernel=ALL', `--remove-args=${PARAMS}`]);
  t.is(host.files.get('/etc/kernel/cmdline')?.content, `${OPTIONS}\n`);
  t.false(host.files.has(BACKUP));
});

// The BLS method is picked only for a grub.cfg that runs blscfg, at the path GRUB reads: EL9 keeps
// it in /boot/grub2 on UEFI too (the ESP's grub.cfg is a stub that loads it: rhboot/grub2's
// grub2.spec, leapp-repository#1261 shows a node with the stub and no /boot/grub2/grub.cfg stop at
// GRUB's prompt). A node without it boots a full grub.cfg on the ESP, the stub overwritten by
// `grub2-mkconfig -o /boot/efi/EFI/rocky/grub.cfg` (the EL8 habit): not a BLS node to sriov-lxc;
// its trial is refused before anything is written, with the command that makes the missing file.
test('EL9 on UEFI without /boot/grub2/grub.cfg (a full grub.cfg on the ESP): not taken for BLS, the trial refused before anything is written', async (t) => {
  const host = node({ '/boot/efi/EFI/rocky/grub.cfg': fixture('parse/grub-rocky8-bls.cfg') }, true);
  host.files.delete('/boot/grub2/grub.cfg');
  const error = await t.throwsAsync(kernelCmdlineStage.check(context(host)), { instanceOf: Error });
  t.is(error?.message, 'node1: no trial boot possible: there is no /boot/grub2/grub.cfg to copy the default entry from (regenerate it with grub2-mkconfig -o /boot/grub2/grub.cfg)');
  await t.throwsAsync(kernelCmdlineStage.apply(context(host)));
  t.false(host.calls.some((c) => c.kind === 'writeFile'), 'nothing written');
  t.false(host.commands.some((c) => c.startsWith('grub2-reboot') || c.startsWith('grub2-editenv') || c.startsWith('grubby --update')), 'nothing armed or changed');
});

test('BLS node committed (grubby gave every entry the params, /etc/kernel/cmdline has them): done, naming every entry', async (t) => {
  // What `grubby --update-kernel=ALL --args=…` leaves: the params appended to every entry's args.
  const info = fixture('parse/grubby-info-all-rocky9.txt').replaceAll('net.ifnames=0"', `net.ifnames=0 ${PARAMS}"`);
  const host = node({ '/etc/kernel/cmdline': `${OPTIONS} ${PARAMS}\n`, '/etc/kernel/cmdline.sriov-lxc.bak': `${OPTIONS}\n` }, false, info);
  t.like(await kernelCmdlineStage.check(context(host)), { done: true, reason: `/etc/kernel/cmdline and every boot entry have ${PARAMS}` });
});
