// The trial boot over SSH with the real CLI, on lab nodes of both flavours: node1 boots the new
// params once from the one-shot entry, they are committed and survive a later reset; node2 has the
// bad-cmdline fault (a boot with changed params panics), so its trial falls back by itself and the
// run fails naming the params, with the node on its previous cmdline until the fault is gone. On
// the centos7 lab, node3's firmware ignores GRUB (grub-ignored): the one-shot is never read.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labFault, labReboot, labUp, nodePower, type Flavour, type LabInfo, suiteLabDir } from '../../lab/index.ts';
import { cmdlineSatisfies } from '../../node/parse/cmdline.ts';
import { loadInventory } from '../../inventory/load.ts';
import { ssh, sshOk, TEST_BOOT_DELAY_MS } from '../lab/lab-helpers.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const STAGES = ['bios-verify', 'driver-build', 'modules-hugepages', 'kernel-cmdline', 'reboot', 'kernel-cmdline-commit'];
const FLAVOURS = ['centos7', 'debian12'] as const satisfies readonly Flavour[];
/** node1: happy path; node2: bad-cmdline; node3 (centos7 only): grub-ignored. */
const NODES: Record<(typeof FLAVOURS)[number], number> = { centos7: 3, debian12: 2 };

interface Lab {
  dir: string;
  info: LabInfo;
  params: string[];
}

interface StageReport {
  id: string;
  status: string;
  changed: boolean;
  durationMs: number;
  error: { message: string; hint?: string } | null;
}
interface HostReport {
  ok: boolean;
  reboots: number;
  failedStage?: string;
  stages: StageReport[];
}

const labs = new Map<Flavour, Lab>();
const dirs: string[] = [];

test.before(async () => {
  await Promise.all(
    FLAVOURS.map(async (flavour) => {
      const dir = suiteLabDir(`trial-boot-${flavour}`);
      dirs.push(dir);
      const info = await labUp({ dir, nodes: NODES[flavour], flavour, bootDelayMs: TEST_BOOT_DELAY_MS });
      const plan = loadInventory(info.inventoryPath).hosts.find((h) => h.name === 'node1');
      if (!plan) throw new Error(`no node1 in ${info.inventoryPath}`);
      labs.set(flavour, { dir, info, params: plan.kernelParams });
    }),
  );
});

test.after.always(async () => {
  for (const dir of dirs) {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

function labOf(flavour: Flavour): Lab {
  const lab = labs.get(flavour);
  if (!lab) throw new Error(`the ${flavour} lab did not come up (see the before hook)`);
  return lab;
}

/** provision.ts over SSH on one node, as a person runs it; the --json report of that node. */
async function provision(t: ExecutionContext, lab: Lab, node: string, ...extra: string[]): Promise<{ code: number | null; report: HostReport; ms: number }> {
  const started = Date.now();
  const args = ['workflows/provision.ts', '--inventory', lab.info.inventoryPath, '--host', node, '--state-dir', join(lab.dir, 'state'), '--only', STAGES.join(','), '--json', ...extra];
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  try {
    const report = (JSON.parse(stdout) as { hosts: HostReport[] }).hosts[0];
    if (!report) throw new Error('no host in the report');
    return { code, report, ms: Date.now() - started };
  } catch (error) {
    t.log(`exit ${code}\nstdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`);
    throw error;
  }
}

const stage = (report: HostReport, id: string): StageReport | undefined => report.stages.find((s) => s.id === id);

/** The boots the lab's firmware made of `node` since `fromBoot`, as "entry: cmdline". */
function bootsSince(lab: Lab, node: string, fromBoot: number): string[] {
  const events = nodePower(lab.dir, node)?.history.map((h) => h.event) ?? [];
  return events.flatMap((e) => {
    const m = /^boot (\d+): (.*)$/.exec(e);
    return m && Number(m[1]) > fromBoot ? [m[2] as string] : [];
  });
}

const cmdlineOf = async (lab: Lab, node: string): Promise<string> => (await sshOk(lab.info, node, 'cat /proc/cmdline')).trim();

for (const flavour of FLAVOURS) {
  test(`lab: trial boot on ${flavour}: one reboot into the trial entry, then committed; a later reboot keeps the params`, async (t) => {
    t.timeout(400_000);
    const lab = labOf(flavour);
    const boots = nodePower(lab.dir, 'node1')?.boots ?? 0;
    const first = await provision(t, lab, 'node1');
    t.is(first.code, 0, JSON.stringify(first.report.stages.filter((s) => s.error)));
    t.is(first.report.reboots, 1);
    for (const id of STAGES) t.is(stage(first.report, id)?.status, 'done', id);
    const booted = bootsSince(lab, 'node1', boots);
    t.is(booted.length, 1, booted.join('\n'));
    t.regex(booted[0] ?? '', /^sriov-lxc trial: .*panic=10$/, 'the one boot started the trial entry');
    t.log(`${flavour}: provision (6 stages) ${first.ms} ms; arming ${stage(first.report, 'kernel-cmdline')?.durationMs} ms, trial reboot + verify ${stage(first.report, 'reboot')?.durationMs} ms, commit ${stage(first.report, 'kernel-cmdline-commit')?.durationMs} ms`);

    // Committed: no trial left, and the node's default entry boots the params (no panic=10: not the trial).
    t.is((await ssh(lab.info, 'node1', 'test -e /etc/grub.d/99_sriov-lxc-trial')).code, 1);
    const resetAt = Date.now();
    const power = await labReboot(lab.dir, 'node1', { timeoutMs: 120_000 });
    t.log(`${flavour}: reset to sshd ready ${Date.now() - resetAt} ms`);
    t.false(power?.entry?.startsWith('sriov-lxc trial'), power?.entry);
    const cmdline = await cmdlineOf(lab, 'node1');
    t.true(cmdlineSatisfies(cmdline, lab.params).ok, cmdline);
    t.false(cmdline.split(' ').includes('panic=10'), cmdline);

    const second = await provision(t, lab, 'node1');
    t.is(second.code, 0);
    t.is(second.report.reboots, 0);
    for (const id of STAGES) t.like(stage(second.report, id), { status: 'done', changed: false }, id);
  });

  test(`lab: trial boot on ${flavour} with bad-cmdline: fails naming the params, node on its previous cmdline; after the fault a re-run succeeds`, async (t) => {
    t.timeout(400_000);
    const lab = labOf(flavour);
    const oldCmdline = await cmdlineOf(lab, 'node2');
    const oldDefaults = await sshOk(lab.info, 'node2', 'cat /etc/default/grub');
    const boots = nodePower(lab.dir, 'node2')?.boots ?? 0;
    await labFault(lab.dir, 'node2', 'bad-cmdline', true);
    t.teardown(() => labFault(lab.dir, 'node2', 'bad-cmdline', false));

    const failed = await provision(t, lab, 'node2');
    t.is(failed.code, 1);
    t.is(failed.report.failedStage, 'reboot');
    const message = stage(failed.report, 'reboot')?.error?.message ?? '';
    t.true(message.startsWith(`node2: the trial boot with the new params ${lab.params.join(' ')} did not come up`), message);
    t.regex(message, /the node is back on its previous configuration, the unchanged default entry/);
    t.not(stage(failed.report, 'kernel-cmdline-commit')?.status, 'done');
    t.log(`${flavour}: failed trial: reboot stage (panic, 10 s, fallback boot) ${stage(failed.report, 'reboot')?.durationMs} ms of ${failed.ms} ms`);
    const events = nodePower(lab.dir, 'node2')?.history.map((h) => h.event) ?? [];
    t.true(events.some((e) => /^kernel panic with .* panic=10 \(fault bad-cmdline\)/.test(e)), 'the trial kernel panicked');

    // Reachable over SSH, on the cmdline and configuration it had.
    t.is(await cmdlineOf(lab, 'node2'), oldCmdline);
    t.is(await sshOk(lab.info, 'node2', 'cat /etc/default/grub'), oldDefaults);
    t.deepEqual(bootsSince(lab, 'node2', boots).map((b) => b.startsWith('sriov-lxc trial')), [false], 'one boot came up: the default entry');

    // The cause fixed, the documented way to re-run failed stages: the trio is one unit, so
    // --retry-failed starts at kernel-cmdline, which arms a new trial, rather than refusing at reboot.
    await labFault(lab.dir, 'node2', 'bad-cmdline', false);
    const again = await provision(t, lab, 'node2', '--retry-failed');
    t.is(again.code, 0, JSON.stringify(again.report.stages.filter((s) => s.error)));
    t.true(stage(again.report, 'kernel-cmdline')?.changed, 'kernel-cmdline armed a new trial');
    t.is(again.report.reboots, 1);
    t.true(cmdlineSatisfies(await cmdlineOf(lab, 'node2'), lab.params).ok);
    t.is(stage(again.report, 'kernel-cmdline-commit')?.status, 'done');
  });
}

test('lab: trial boot on centos7 with grub-ignored: the one-shot was never read, and the diagnosis says so', async (t) => {
  t.timeout(400_000);
  const lab = labOf('centos7');
  const oldCmdline = await cmdlineOf(lab, 'node3');
  await labFault(lab.dir, 'node3', 'grub-ignored', true);
  t.teardown(() => labFault(lab.dir, 'node3', 'grub-ignored', false));
  const failed = await provision(t, lab, 'node3');
  t.is(failed.code, 1);
  const message = stage(failed.report, 'reboot')?.error?.message ?? '';
  t.true(message.startsWith('node3: the node rebooted without starting the trial entry "sriov-lxc trial: '), message);
  t.regex(message, /next_entry=sriov-lxc-trial is still set in \/boot\/grub2\/grubenv/);
  t.is(await cmdlineOf(lab, 'node3'), oldCmdline);

  await labFault(lab.dir, 'node3', 'grub-ignored', false);
  const again = await provision(t, lab, 'node3');
  t.is(again.code, 0, JSON.stringify(again.report.stages.filter((s) => s.error)));
  t.is(again.report.reboots, 1, 'the trial still armed is booted');
  t.true(cmdlineSatisfies(await cmdlineOf(lab, 'node3'), lab.params).ok);
});
