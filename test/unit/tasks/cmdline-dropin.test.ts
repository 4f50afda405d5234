// The grub.d drop-in method at stage level, on a Debian 12 node (update-grub, /etc/default/grub as
// Debian ships it) with kdump-tools' drop-in as the package installs it. The node's shell is real:
// the fake host answers the drop-in probe by running it with sh on the node's files, copied under a
// private directory, so every file is sourced as grub-mkconfig would. update-grub is modelled: the
// linux lines get what that probe says grub-mkconfig would use.
import test from 'ava';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { isGrubTrace, runGrubTrace } from '../../helpers/grub-trace.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { cmdlineSatisfies, formatParam, parseCmdline } from '../../../node/parse/cmdline.ts';
import { parseGrubDefaultsTrace } from '../../../node/parse/grub-defaults-trace.ts';
import { kernelCmdlineStage } from '../../../tasks/kernel-cmdline.ts';
import { kernelCmdlineCommitStage } from '../../../tasks/kernel-cmdline-commit.ts';
import { kernelCmdlineTeardownStage } from '../../../tasks/teardown-kernel-cmdline.ts';
import { kernelCmdlineCommitTeardownStage } from '../../../tasks/teardown-kernel-cmdline-commit.ts';
import { GRUB_DROPIN, TRACE, effectiveCmdlineOf } from '../../../node/boot/method-grub-dropin.ts';
import { DETECT_BOOT_METHOD } from '../../../node/boot/boot-method.ts';
import { readBootConfig } from '../../../node/boot/boot-config.ts';
import { ObservingHost } from '../../../hosts/observing-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { nodeDistro } from '../../../node/facts/distro.ts';
import { parseOsRelease } from '../../../node/parse/os-release.ts';
import type { Stage, StageContext, StageOutputs } from '../../../engine/stage.ts';
import type { FatalError } from '../../../core/errors.ts';

const KDUMP = '/etc/default/grub.d/kdump-tools.cfg';
const CRASHKERNEL = 'crashkernel=384M-:128M';
const stock = fixture('stages/cmdline/default-grub-debian12.txt');
const freshCfg = fixture('stages/cmdline/grub-debian12-fresh.cfg');

function plan(trialBoot = false): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: on
    trialBoot: ${trialBoot}
    hugepages: { count: 1024 }
    pfs:
      - { name: enp4s0f0, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!;
}

/** Runs the drop-in probe with the real sh on the node's /etc/default files, under a private root. */
const probe = (host: FakeHost, argv: readonly string[]): { stdout: string } => runGrubTrace([...host.files].map(([path, f]) => [path, f.content]), argv);

/** What grub-mkconfig would put after `ro` on the node now. */
function outcome(host: FakeHost): string {
  return effectiveCmdlineOf(parseGrubDefaultsTrace(probe(host, ['sh', '-c', TRACE, 'sh', GRUB_DROPIN, '0', '']).stdout), 'full');
}

/** A Debian 12 node by BIOS with kdump-tools installed; `extra`: more files. */
function node(extra: Record<string, string> = {}, Kind: typeof FakeHost = FakeHost): FakeHost {
  const host = new Kind('node1', { '/etc/default/grub': stock, [KDUMP]: fixture('stages/cmdline/kdump-tools-debian-12.cfg'), '/boot/grub/grub.cfg': freshCfg, ...extra });
  host.on(['test', '-d', '/sys/firmware/efi'], { code: 1 });
  host.on([...DETECT_BOOT_METHOD], { stdout: 'grub.d\nreads-grub.d\n' });
  host.on(isGrubTrace, (argv) => probe(host, argv));
  host.on(['update-grub'], () => {
    host.files.set('/boot/grub/grub.cfg', { content: freshCfg.replaceAll('ro  quiet', `ro ${outcome(host)}`), mode: 0o644 });
    return {};
  });
  host.on(['rm', '-f', '--', GRUB_DROPIN], () => {
    host.files.delete(GRUB_DROPIN);
    return {};
  });
  return host;
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

/** check → apply → verify, as the engine runs a stage; the outputs. */
async function run(stage: Stage, ctx: StageContext): Promise<StageOutputs> {
  const check = await stage.check(ctx);
  if (check.done) return check.outputs ?? stage.verify(ctx);
  await stage.apply(ctx);
  return stage.verify(ctx);
}

const tokens = (cmdline: string): string[] => parseCmdline(cmdline).map(formatParam);
const times = (cmdline: string, token: string): number => tokens(cmdline).filter((t) => t === token).length;

async function provisioned(extra: Record<string, string> = {}): Promise<FakeHost> {
  const host = node(extra);
  await run(kernelCmdlineStage, context(host));
  return host;
}

test('kdump-tools\' drop-in, read after ours: provisioning passes, every param once, crashkernel once, and a later run finds it done', async (t) => {
  const host = node();
  const ctx = context(host);
  const check = await kernelCmdlineStage.check(ctx);
  t.false(check.done);
  await kernelCmdlineStage.apply(ctx);
  const outputs = await kernelCmdlineStage.verify(ctx);
  t.like(outputs, { method: 'default', bootMethod: 'grub-dropin', paramsFile: GRUB_DROPIN });
  const dropin = host.files.get(GRUB_DROPIN)?.content ?? '';
  t.false(dropin.includes('crashkernel'), `our drop-in carries none of kdump-tools' settings:\n${dropin}`);
  const cmdline = outcome(host);
  t.true(cmdlineSatisfies(cmdline, ctx.plan.kernelParams).ok, cmdline);
  for (const p of ctx.plan.kernelParams) t.is(times(cmdline, p), 1, `${p} once in ${cmdline}`);
  t.is(times(cmdline, CRASHKERNEL), 1, `crashkernel once in ${cmdline}`);
  // The default entry update-grub wrote boots it, and the commit stage (where the old check stopped) has nothing to do.
  t.true(await kernelCmdlineStage.check(ctx).then((c) => c.done));
  t.true(await kernelCmdlineCommitStage.check(ctx).then((c) => c.done));
});

test('the boot configuration read again in the same run: the method not probed again, its reads in the first round trip, the same configuration', async (t) => {
  const batching = node({}, BatchingFakeHost) as BatchingFakeHost;
  const host = new ObservingHost(batching);
  const distro = nodeDistro(parseOsRelease(fixture('stages/bios/os-release-debian12.txt')));
  const first = await readBootConfig(host, distro, plan(), 'add');
  // The method's signs; what it reads; grub-mkconfig's outcome with the planned drop-in.
  t.is(batching.roundTrips, 3, JSON.stringify(batching.batches));
  // As after an apply: nothing observed is trusted, the configuration is read anew.
  host.forget();
  const again = await readBootConfig(host, distro, plan(), 'add');
  t.is(batching.roundTrips, 5, JSON.stringify(batching.batches.slice(3)));
  t.false(batching.batches[3]!.includes(DETECT_BOOT_METHOD.join(' ')), 'the method is this run\'s: not probed again');
  t.true(batching.batches[3]!.includes(`file ${GRUB_DROPIN}`), 'what the method reads came in the same round trip');
  t.is(again.method.name, 'grub-dropin');
  t.deepEqual({ ...again, method: again.method.name }, { ...first, method: first.method.name });
});

test('a file read after ours that sets GRUB_CMDLINE_LINUX outright would take our params off: refused before anything is written, naming it', async (t) => {
  const host = node({ '/etc/default/grub.d/zz-site.cfg': 'GRUB_CMDLINE_LINUX="net.ifnames=0"\n' });
  const error = await t.throwsAsync<FatalError>(kernelCmdlineStage.check(context(host)));
  t.regex(error?.message ?? '', /with \/etc\/default\/grub\.d\/99-sriov-lxc\.cfg in place, the kernel command line grub-mkconfig would produce is not the plan's: it lacks intel_iommu=on .*read after it, \/etc\/default\/grub\.d\/zz-site\.cfg undoes that/);
  t.regex(error?.hint ?? '', /adding to them|sorts before 99-sriov-lxc\.cfg/);
  t.false(host.files.has(GRUB_DROPIN));
});

test('a file read after ours that adds one of our params again: it would be on the command line twice, refused', async (t) => {
  const host = node({ '/etc/default/grub.d/zz-site.cfg': 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX intel_iommu=on"\n' });
  const error = await t.throwsAsync(kernelCmdlineStage.check(context(host)));
  t.regex(error?.message ?? '', /intel_iommu=on is on it twice/);
});

test('teardown after the operator changed /etc/default/grub: our drop-in goes, so their settings count again', async (t) => {
  const host = await provisioned();
  host.files.set('/etc/default/grub', { content: stock.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"'), mode: 0o644 });
  const ctx = context(host);
  const arm = await run(kernelCmdlineTeardownStage, ctx);
  t.like(arm, { bootMethod: 'grub-dropin' });
  t.deepEqual(arm['remove'], ctx.plan.kernelParams, 'what stays off is recorded');
  t.false(host.files.has(GRUB_DROPIN));
  const cmdline = outcome(host);
  t.is(cmdline, `quiet splash ${CRASHKERNEL}`);
  const commit = await run(kernelCmdlineCommitTeardownStage, context(host, plan(), { 'teardown-kernel-cmdline': arm }));
  t.deepEqual(commit['kept'], []);
});

test('teardown of a drop-in the operator changed: our params out, their addition kept as an addition, named in the report, never overriding /etc/default/grub', async (t) => {
  const host = await provisioned();
  const ours = host.files.get(GRUB_DROPIN)?.content ?? '';
  host.files.set(GRUB_DROPIN, { content: ours.replace(/^GRUB_CMDLINE_LINUX_DEFAULT=quiet$/m, "GRUB_CMDLINE_LINUX_DEFAULT='quiet nomodeset'"), mode: 0o644 });
  t.not(host.files.get(GRUB_DROPIN)?.content, ours, 'the operator\'s edit took');
  host.files.set('/etc/default/grub', { content: stock.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="net.ifnames=0"'), mode: 0o644 });
  const arm = await run(kernelCmdlineTeardownStage, context(host));
  t.like(arm, { how: 'strip' });
  const left = host.files.get(GRUB_DROPIN)?.content ?? '';
  t.regex(left, /^GRUB_CMDLINE_LINUX_DEFAULT="\$GRUB_CMDLINE_LINUX_DEFAULT "'?nomodeset'?$/m);
  t.false(/intel_iommu|hugepage/.test(left), left);
  const cmdline = outcome(host);
  t.is(cmdline, `net.ifnames=0 quiet nomodeset ${CRASHKERNEL}`);
  const commit = await run(kernelCmdlineCommitTeardownStage, context(host, plan(), { 'teardown-kernel-cmdline': arm }));
  t.deepEqual((commit['kept'] as { path: string }[]).map((k) => k.path), [GRUB_DROPIN]);
  // Done: a second teardown changes nothing.
  t.true((await kernelCmdlineTeardownStage.check(context(host))).done);
  t.is(host.files.get(GRUB_DROPIN)?.content, left);
});

test('with a trial: kdump-tools\' drop-in is read after ours (k after 9), so the plan notes no override before it; the trial copy comes first', async (t) => {
  const host = node();
  host.on((argv) => argv[0] === 'sh' && String(argv[2]).includes('grub2-probe grub-probe'), { stdout: '/usr/sbin/grub-probe\n' });
  host.on(['/usr/sbin/grub-probe', '--target=fs', '/boot/grub'], { stdout: fixture('stages/cmdline/grub-probe-fs-ext4.txt') });
  host.on(['/usr/sbin/grub-probe', '--target=abstraction', '/boot/grub'], { stdout: fixture('stages/cmdline/grub-probe-abstraction-plain.txt') });
  const check = await kernelCmdlineStage.check(context(host, plan(true)));
  if (check.done) return t.fail('expected a plan');
  t.false(check.plan.some((line) => line.startsWith('noticed:') || line.includes(KDUMP)), check.plan.join('\n'));
  t.regex(check.plan[0] ?? '', /^copy the default entry "Debian GNU\/Linux" into a trial entry/);
  t.is(check.plan.at(-1), `${GRUB_DROPIN} is changed after the trial boot came up with the params (stage kernel-cmdline-commit)`);
});
