// The EL8 method on an AlmaLinux 8 node: grub.cfg as grub2-mkconfig writes it there (captured,
// test/fixtures/real/grub-cfg/grub-cfg-el8-blscfg-issabel.cfg), grubenv's kernelopts the value
// that grub.cfg's fallback shows (EL8's 10_linux writes the same string into both, trailing space
// included), the installed kernel's entry as 20-grub.install writes it (`options $kernelopts
// $tuned_params`), and `grubby --info=ALL` as grubby-bls 8.40-48 prints it (display_info_values:
// $kernelopts expanded, root= split off, $tuned_params left as it is). A second, older entry with
// its own options is the captured RHEL 8.0 one (test/fixtures/real/bls/).
import test from 'ava';
import { FatalError } from '../../../../core/errors.ts';
import { FakeHost, fixture } from '../../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../../helpers/batching-fake-host.ts';
import { labNodePlan } from '../../../helpers/plans.ts';
import { kernelCmdlineStage } from '../../../../tasks/kernel-cmdline.ts';
import { kernelCmdlineCommitStage } from '../../../../tasks/kernel-cmdline-commit.ts';
import { kernelCmdlineTeardownStage } from '../../../../tasks/teardown-kernel-cmdline.ts';
import { kernelCmdlineCommitTeardownStage } from '../../../../tasks/teardown-kernel-cmdline-commit.ts';
import { DETECT_BOOT_METHOD, detectBootMethod } from '../../../../node/boot/boot-method.ts';
import { KERNELOPTS_BACKUP, editEntryOptions, entryOptions, kerneloptsTarget, readsKernelopts } from '../../../../node/boot/method-bls-kernelopts.ts';
import { contradictingParams } from '../../../../node/boot/grub-defaults.ts';
import { nodeDistro } from '../../../../node/facts/distro.ts';
import { parseOsRelease } from '../../../../node/parse/os-release.ts';
import type { StageContext } from '../../../../engine/stage.ts';

const KREL = '4.18.0-553.5.1.el8_10.x86_64';
const ID = `0f7c3a5ba1b64d0e9a2c3c8f2d9a4b11-${KREL}`;
const ENTRY = `/boot/loader/entries/${ID}.conf`;
const OLD_ID = 'rhel-20190428101407-4.18.0-80.1.2.el8_0.x86_64';
const OLD_ENTRY = `/boot/loader/entries/${OLD_ID}.conf`;
const TRIAL = '/boot/loader/entries/sriov-lxc-trial.conf';
const ENV = '/boot/grub2/grubenv';
const CFG = fixture('real/grub-cfg/grub-cfg-el8-blscfg-issabel.cfg');
// Read off the grub.cfg above: the fallback `set kernelopts="…"`, trailing space and all.
const KERNELOPTS = 'root=UUID=bf4ab502-9a6d-49ec-92be-59111a383230 ro resume=UUID=9c7383f6-7502-4245-b0b0-c52190b4c6e0 net.ifnames=0 rhgb quiet ';
const DEFAULTS = 'GRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR="$(sed \'s, release .*$,,g\' /etc/system-release)"\nGRUB_DEFAULT=saved\nGRUB_DISABLE_SUBMENU=true\nGRUB_TERMINAL_OUTPUT="console"\nGRUB_CMDLINE_LINUX="resume=UUID=9c7383f6-7502-4245-b0b0-c52190b4c6e0 net.ifnames=0 rhgb quiet"\nGRUB_DISABLE_RECOVERY="true"\nGRUB_ENABLE_BLSCFG=true\n';
const entryFile = `title AlmaLinux (${KREL}) 8.10 (Cerulean Leopard)\nversion ${KREL}\nlinux /vmlinuz-${KREL}\ninitrd /initramfs-${KREL}.img $tuned_initrd\noptions $kernelopts $tuned_params\nid almalinux-20240611093014-${KREL}\ngrub_users $grub_users\ngrub_arg --unrestricted\ngrub_class kernel\n`;
const OLD = fixture('real/bls/bls-entry-rhel-8.0-tuned-params.conf');
const grubenv = (vars: string): string => {
  const body = `# GRUB Environment Block\n${vars}`;
  return body + '#'.repeat(1024 - Buffer.byteLength(body));
};
const plan = labNodePlan();
const PARAMS = plan.kernelParams.join(' ');
const REMOVE = contradictingParams(plan);

/** What grubby-bls 8.40-48 prints for the entries, from grubenv's kernelopts as it is now. */
function grubbyInfo(kernelopts: string, old: string | undefined): string {
  const expanded = `${kernelopts} $tuned_params`.replace(/\s+/g, ' ').trim();
  const root = /(?:^|\s)root=(\S+)/.exec(expanded)?.[1] ?? '';
  const args = expanded.replace(`root=${root} `, '');
  const lines = [`index=0`, `kernel="/boot/vmlinuz-${KREL}"`, `args="${args}"`, `root="${root}"`, `initrd="/boot/initramfs-${KREL}.img $tuned_initrd"`, `title="AlmaLinux (${KREL}) 8.10 (Cerulean Leopard)"`, `id="${ID}"`];
  if (old !== undefined) {
    const options = entryOptions(old) ?? '';
    const oldRoot = /(?:^|\s)root=(\S+)/.exec(options)?.[1] ?? '';
    lines.push('index=1', 'kernel="/boot/vmlinuz-4.18.0-80.1.2.el8_0.x86_64"', `args="${options.replace(`root=${oldRoot} `, '')}"`, `root="${oldRoot}"`, 'initrd="/boot/initramfs-4.18.0-80.1.2.el8_0.x86_64.img $tuned_initrd"', 'title="Red Hat Enterprise Linux (4.18.0-80.1.2.el8_0.x86_64) 8.0 (Ootpa)"', `id="${OLD_ID}"`);
  }
  return `${lines.join('\n')}\n`;
}

const envVars = (host: FakeHost): Map<string, string> => {
  const vars = new Map<string, string>();
  for (const line of (host.files.get(ENV)?.content ?? '').split('\n')) if (!line.startsWith('#') && line.includes('=')) vars.set(line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1));
  return vars;
};
const writeEnv = (host: FakeHost, vars: Map<string, string>): void => {
  host.files.set(ENV, { content: grubenv([...vars].map(([k, v]) => `${k}=${v}\n`).join('')), mode: 0o644 });
};

function node(options: { files?: Record<string, string>; withOld?: boolean; kernelopts?: string | null } = {}): FakeHost {
  const kernelopts = options.kernelopts === undefined ? KERNELOPTS : options.kernelopts;
  const host = new BatchingFakeHost('node1', {
    '/boot/grub2/grub.cfg': CFG,
    '/etc/default/grub': DEFAULTS,
    [ENV]: grubenv(`saved_entry=${ID}\n${kernelopts === null ? '' : `kernelopts=${kernelopts}\n`}boot_success=0\n`),
    [ENTRY]: entryFile,
    ...(options.withOld ? { [OLD_ENTRY]: OLD } : {}),
    ...options.files,
  });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: 'entries\ngrubby\nkernelopts\n' });
  host.on(['grubby', '--info=ALL'], () => ({ stdout: grubbyInfo(envVars(host).get('kernelopts') ?? '$kernelopts', host.files.get(OLD_ENTRY)?.content) }));
  host.on((argv) => argv[0] === 'sh' && String(argv[2]).includes('grub2-probe grub-probe'), { stdout: '/usr/sbin/grub2-probe\n' });
  host.on(['/usr/sbin/grub2-probe', '--target=fs', '/boot/grub2'], { stdout: 'xfs\n' });
  host.on(['/usr/sbin/grub2-probe', '--target=abstraction', '/boot/grub2'], { stdout: '\n' });
  host.on((argv) => argv[0] === 'grub2-editenv' && argv[1] === ENV && argv[2] === 'set', (argv) => {
    const vars = envVars(host);
    const arg = argv[3] ?? '';
    vars.set(arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1));
    writeEnv(host, vars);
    return {};
  });
  host.on((argv) => argv[0] === 'grub2-editenv' && argv[1] === ENV && argv[2] === 'unset', (argv) => {
    const vars = envVars(host);
    vars.delete(argv[3] ?? '');
    writeEnv(host, vars);
    return {};
  });
  host.on(['grub2-editenv', ENV, 'list'], () => ({ stdout: [...envVars(host)].map(([k, v]) => `${k}=${v}\n`).join('') }));
  host.on(['grub2-reboot', 'sriov-lxc-trial'], () => {
    const vars = envVars(host);
    vars.set('next_entry', 'sriov-lxc-trial');
    writeEnv(host, vars);
    return {};
  });
  host.on((argv) => argv[0] === 'rm' && argv[1] === '-f', (argv) => {
    host.files.delete(argv.at(-1) ?? '');
    return {};
  });
  return host;
}

const context = (host: FakeHost, p = plan): StageContext => ({
  host,
  plan: p,
  outputs: { 'bios-verify': { distro: nodeDistro(parseOsRelease(fixture('parse/os-release-almalinux-8.10.txt'))) } },
  log: () => {},
  signal: new AbortController().signal,
  runId: 'r1',
  stateDir: '/tmp/state',
});
const running = (params: string): Record<string, string> => ({ '/proc/cmdline': `BOOT_IMAGE=(hd0,msdos2)/vmlinuz-${KREL} ${params}\n` });
const provisioned = `${KERNELOPTS.trim()} ${PARAMS}`;

test('detection: an entry whose options read $kernelopts makes the node EL8\'s method; without one it is the bls method', async (t) => {
  const el8 = new FakeHost('n').on([...DETECT_BOOT_METHOD], { stdout: 'entries\ngrubby\nkernelopts\n' });
  t.is((await detectBootMethod(el8, CFG)).name, 'bls-kernelopts');
  const el9 = new FakeHost('n').on([...DETECT_BOOT_METHOD], { stdout: 'entries\ngrubby\n' });
  t.is((await detectBootMethod(el9, CFG)).name, 'bls');
  t.true(DETECT_BOOT_METHOD.join(' ').includes('/boot/loader/entries/*.conf'));
});

test('entry files: the kernel-install entry reads $kernelopts, the captured RHEL 8.0 entry has its own options; editing the latter keeps $tuned_params and noapic', (t) => {
  t.true(readsKernelopts(entryFile));
  t.false(readsKernelopts(OLD));
  t.is(editEntryOptions(entryFile, { add: ['a=1'], remove: [] }), entryFile);
  const edited = editEntryOptions(OLD, { add: ['intel_iommu=on', 'iommu=pt'], remove: ['crashkernel'] });
  t.is(entryOptions(edited), 'root=/dev/mapper/rhel_vm37--146-root ro resume=/dev/mapper/rhel_vm37--146-swap rd.lvm.lv=rhel_vm37-146/root rd.lvm.lv=rhel_vm37-146/swap $tuned_params noapic intel_iommu=on iommu=pt');
  t.is(edited.split('\n').filter((l) => !l.startsWith('options')).join('\n'), OLD.split('\n').filter((l) => !l.startsWith('options')).join('\n'));
});

test('kernelopts: provisioning edits it token by token; teardown gives back the exact first value, or takes only its params off one changed since', (t) => {
  const edit = { add: ['intel_iommu=on', 'iommu=pt'], remove: [] };
  const on = kerneloptsTarget(KERNELOPTS, undefined, 'add', edit, edit);
  t.is(on, `${KERNELOPTS.trim()} intel_iommu=on iommu=pt`);
  const back = { add: [], remove: ['intel_iommu=on', 'iommu=pt'] };
  t.is(kerneloptsTarget(on, KERNELOPTS, 'remove', back, edit), KERNELOPTS, 'the backup, trailing space included');
  t.is(kerneloptsTarget(KERNELOPTS, KERNELOPTS, 'remove', back, edit), KERNELOPTS);
  t.is(kerneloptsTarget(`${on} audit=1`, KERNELOPTS, 'remove', back, edit), `${KERNELOPTS.trim()} audit=1`, 'the operator\'s audit=1 stays');
});

test('arm: the trial entry spells out kernelopts with the params (and $tuned_params for GRUB); grubenv\'s kernelopts, the entry and /etc/default/grub are untouched', async (t) => {
  const host = node();
  const check = await kernelCmdlineStage.check(context(host));
  t.false(check.done);
  const lines = check.done ? [] : check.plan;
  t.true(lines.some((l) => l.startsWith(`copy the default entry "AlmaLinux (${KREL}) 8.10 (Cerulean Leopard)" into a trial entry (${TRIAL})`)), lines.join('\n'));
  t.true(lines.some((l) => l.startsWith(`kernelopts in ${ENV} (what the entries read) and /etc/default/grub are changed after the trial boot came up`)), lines.join('\n'));
  t.false(lines.some((l) => l.includes('grubby')), 'EL8\'s commit runs no grubby');
  await kernelCmdlineStage.apply(context(host));
  const trial = host.files.get(TRIAL)?.content ?? '';
  t.is(entryOptions(trial), `${KERNELOPTS.trim()} $tuned_params ${PARAMS} panic=10`);
  t.false(readsKernelopts(trial), 'the trial boots its own params, not kernelopts');
  t.is(envVars(host).get('kernelopts'), KERNELOPTS);
  t.is(envVars(host).get('next_entry'), 'sriov-lxc-trial');
  t.is(host.files.get(ENTRY)?.content, entryFile);
  t.is(host.files.get('/etc/default/grub')?.content, DEFAULTS);
  t.false(host.commands.some((c) => c.startsWith('grubby --update-kernel') || c.startsWith('grub2-mkconfig')));
});

test('commit after the trial came up: kernelopts set with grub2-editenv (its first value kept), GRUB_CMDLINE_LINUX edited (the original kept), the entry still reads $kernelopts, no grubby, no grub2-mkconfig', async (t) => {
  const host = node({ files: { ...running(`${KERNELOPTS.trim()} ${PARAMS} panic=10`), [TRIAL]: 'title sriov-lxc trial\noptions x\n' } });
  const check = await kernelCmdlineCommitStage.check(context(host));
  t.true(!check.done && check.plan.some((l) => l.startsWith(`grub2-editenv ${ENV} set kernelopts=…: add ${PARAMS}`)), check.done ? '' : check.plan.join('\n'));
  await kernelCmdlineCommitStage.apply(context(host));
  t.is(envVars(host).get('kernelopts'), provisioned);
  t.true(host.commands.includes(`grub2-editenv ${ENV} set 'kernelopts=${provisioned}'`) || host.commands.some((c) => c.startsWith(`grub2-editenv ${ENV} set`) && c.includes(PARAMS)));
  t.is(host.files.get(KERNELOPTS_BACKUP)?.content, `${KERNELOPTS}\n`);
  t.is(host.files.get('/etc/default/grub.sriov-lxc.bak')?.content, DEFAULTS);
  t.regex(host.files.get('/etc/default/grub')?.content ?? '', new RegExp(`^GRUB_CMDLINE_LINUX="resume=UUID=9c7383f6-7502-4245-b0b0-c52190b4c6e0 net.ifnames=0 rhgb quiet ${PARAMS}"$`, 'm'));
  t.is(host.files.get(ENTRY)?.content, entryFile);
  t.false(host.files.has(TRIAL));
  t.false(envVars(host).has('next_entry'));
  t.false(host.commands.some((c) => c.startsWith('grubby --update-kernel') || c.startsWith('grub2-mkconfig')));
  t.deepEqual(await kernelCmdlineCommitStage.verify(context(host)).then((o) => o['bootMethod']), 'bls-kernelopts');
});

test('commit: an entry with its own options (the captured RHEL 8.0 one) gets the params on its options line; teardown takes them off again', async (t) => {
  const host = node({ withOld: true, files: running(`${KERNELOPTS.trim()} ${PARAMS}`) });
  await kernelCmdlineCommitStage.apply(context(host));
  t.is(entryOptions(host.files.get(OLD_ENTRY)?.content ?? ''), `${entryOptions(OLD)} ${PARAMS}`);
  await kernelCmdlineCommitStage.verify(context(host));
  const untrialled = { ...plan, trialBoot: false };
  await kernelCmdlineTeardownStage.apply(context(host, untrialled));
  t.is(host.files.get(OLD_ENTRY)?.content, OLD);
  t.is(envVars(host).get('kernelopts'), KERNELOPTS);
  t.is(host.files.get('/etc/default/grub')?.content, DEFAULTS);
  t.false(host.files.has(KERNELOPTS_BACKUP));
  t.false(host.files.has('/etc/default/grub.sriov-lxc.bak'));
});

test('teardown after its trial came up: kernelopts back to its first value exactly, /etc/default/grub from its copy, both copies removed; a second run has nothing to do', async (t) => {
  const host = node({ files: running(`${KERNELOPTS.trim()} ${PARAMS}`) });
  await kernelCmdlineCommitStage.apply(context(host));
  host.files.set('/proc/cmdline', { content: `BOOT_IMAGE=(hd0,msdos2)/vmlinuz-${KREL} ${KERNELOPTS.trim()} panic=10\n`, mode: 0o644 });
  const check = await kernelCmdlineCommitTeardownStage.check(context(host));
  const lines = check.done ? [] : check.plan;
  t.true(lines.some((l) => l.startsWith(`grub2-editenv ${ENV} set kernelopts=…: restore it from ${KERNELOPTS_BACKUP}`)), lines.join('\n'));
  await kernelCmdlineCommitTeardownStage.apply(context(host));
  t.is(envVars(host).get('kernelopts'), KERNELOPTS);
  t.is(host.files.get('/etc/default/grub')?.content, DEFAULTS);
  t.false(host.files.has(KERNELOPTS_BACKUP));
  t.false(host.files.has('/etc/default/grub.sriov-lxc.bak'));
  t.true((await kernelCmdlineTeardownStage.check(context(host))).done);
  t.true(REMOVE.every((r) => !envVars(host).get('kernelopts')?.includes(r)));
});

test('kernelopts not set in grubenv: a clear error naming grub2-mkconfig, nothing written', async (t) => {
  const host = node({ kernelopts: null });
  const error = await t.throwsAsync<FatalError>(kernelCmdlineStage.check(context(host)), { instanceOf: FatalError });
  t.regex(error?.message ?? '', /entries read \$kernelopts, but \/boot\/grub2\/grubenv does not set kernelopts/);
  t.regex(error?.hint ?? '', /grub2-mkconfig -o \/boot\/grub2\/grub\.cfg .*grub2-editenv - list/);
  t.false(host.calls.some((c) => c.kind === 'writeFile'));
});
