// The pipeline on a lab whose nodes set kernel params by their own mechanism (alma9: BLS entries
// through grubby and /etc/kernel/cmdline; ubuntu2404: a late /etc/default/grub.d drop-in), one
// lab per file with two nodes: node1 is provisioned (one reboot, into the trial entry), reset
// plainly through the lab's BMC and read on the node, then provisioned again (nothing changes);
// node2 has the bad-cmdline fault, so its trial kernel panics and GRUB falls back by itself.
// Everything is read on the node, not from our state.
import type { ExecutionContext, TestFn } from 'ava';
import { join } from 'node:path';
import { labFault, labReboot, nodePower, type Firmware, type Flavour } from '../../lab/index.ts';
import { cmdlineSatisfies } from '../../node/parse/cmdline.ts';
import {
  assertProvisioned,
  bootCount,
  describeRun,
  execOnNode,
  hostReport,
  jsonOf,
  onNode,
  onlyWithoutBenchmark,
  runCli,
  stageOf,
  startTestLab,
  WITHOUT_BENCHMARK,
  waitFor,
  type Lab,
  type ProvisionReport,
} from './lab-fixture.ts';

const TRIAL_STAGES = ['bios-verify', 'driver-build', 'modules-hugepages', 'kernel-cmdline', 'reboot', 'kernel-cmdline-commit'];

export interface BootMethodCase {
  flavour: Flavour;
  firmware: Firmware;
  /** Also run the bad-cmdline node (node2). */
  badCmdline: boolean;
  /** Changes a site makes to the node before provisioning (run on every node). */
  prepare?: (lab: Lab) => Promise<void>;
  /** Params of the node's own configuration that must stay next to ours, each once. */
  keeps?: string[];
  /** Where the params must be on the node, read on the node: every place, in words, with its text. */
  paramsOnNode: (lab: Lab) => Promise<{ where: string; params: string }[]>;
}

function args(lab: Lab, ...extra: string[]): string[] {
  return ['--inventory', lab.info.inventoryPath, '--host', lab.plan.name, '--state-dir', join(lab.dir, 'state', lab.plan.name), '--json', ...extra];
}

/** The firmware's boots of the node after boot `from`: the entry titles. */
function entriesBootedSince(lab: Lab, from: number): string[] {
  return (nodePower(lab.dir, lab.plan.name)?.history ?? []).flatMap((h) => {
    const m = /^boot (\d+): (.*)$/.exec(h.event);
    return m && Number(m[1]) > from ? [m[2] as string] : [];
  });
}

function assertParamsIn(t: ExecutionContext, lab: Lab, places: readonly { where: string; params: string }[], present: boolean): void {
  t.true(places.length > 0, 'somewhere to look');
  for (const p of places) {
    const ok = cmdlineSatisfies(p.params, lab.plan.kernelParams).ok;
    t.is(ok, present, `${p.where} ${present ? 'has' : 'lacks'} ${lab.plan.kernelParams.join(' ')}: ${p.params}`);
  }
}

export function bootMethodPipelineTests(test: TestFn, c: BootMethodCase): void {
  const labs = new Map<string, Lab>();
  let stop: (() => Promise<void>) | undefined;
  const node = (name: string): Lab => {
    const lab = labs.get(name);
    if (!lab) throw new Error(`the ${c.flavour} lab has no ${name} (see the before hook)`);
    return lab;
  };
  const label = `${c.flavour} (${c.firmware})`;

  test.before(async () => {
    const started = await startTestLab(`${c.flavour}-${c.firmware}`, c.flavour, c.badCmdline ? 2 : 1, c.firmware);
    stop = started.stop;
    for (const [name, lab] of started.labs) labs.set(name, lab);
    if (c.prepare) for (const lab of labs.values()) await c.prepare(lab);
  });
  test.after.always(async () => {
    await stop?.();
  });

  test(`lab: ${label}: provisioned with one reboot into the trial entry; after a plain reset the params, VFs, MACs and containers are there; a second run changes nothing`, async (t) => {
    t.timeout(600_000);
    const lab = node('node1');
    const boots = bootCount(lab);
    const run = await runCli('provision', args(lab, ...onlyWithoutBenchmark()), 400_000);
    t.is(run.code, 0, describeRun(run));
    const report = hostReport(run);
    t.is(report.reboots, 1, 'one reboot, for the kernel cmdline');
    for (const id of WITHOUT_BENCHMARK) t.is(stageOf(report, id).status, 'done', id);
    const booted = entriesBootedSince(lab, boots);
    t.is(booted.length, 1, booted.join('\n'));
    t.regex(booted[0] ?? '', /^sriov-lxc trial: /, 'the one boot started the trial entry');

    // A plain reset through the BMC: the node's own configuration boots the params.
    const power = await labReboot(lab.dir, lab.plan.name, { timeoutMs: 180_000 });
    // Units after sshd (lxc.service, the VF MAC unit) run on in the background: wait for the boot.
    await waitFor('the boot to finish (systemctl is-system-running)', async () => ((await execOnNode(lab, ['systemctl', 'is-system-running'])).stdout.trim() === 'running' ? true : undefined), 120_000, 250);
    t.false(power?.entry?.startsWith('sriov-lxc trial'), `the reset booted ${power?.entry}`);
    const places = await c.paramsOnNode(lab);
    assertParamsIn(t, lab, places, true);
    for (const p of places) for (const k of c.keeps ?? []) t.is(p.params.split(/\s+/).filter((x) => x === k).length, 1, `${p.where} keeps ${k}, once: ${p.params}`);
    t.false((await onNode(lab, ['cat', '/proc/cmdline'])).split(/\s+/).includes('panic=10'), 'not the trial entry');
    await assertProvisioned(t, lab);

    const again = await runCli('provision', args(lab, ...onlyWithoutBenchmark()), 400_000);
    t.is(again.code, 0, describeRun(again));
    const second = hostReport(again);
    t.is(second.reboots, 0);
    for (const id of WITHOUT_BENCHMARK) t.like(stageOf(second, id), { status: 'done', changed: false }, id);
  });

  if (!c.badCmdline) return;
  test(`lab: ${label} with bad-cmdline: the trial kernel panics, GRUB falls back, the node is reachable and the params never become the default`, async (t) => {
    t.timeout(600_000);
    const lab = node('node2');
    const before = await c.paramsOnNode(lab);
    const oldCmdline = (await onNode(lab, ['cat', '/proc/cmdline'])).trim();
    await labFault(lab.dir, lab.plan.name, 'bad-cmdline', true);
    t.teardown(() => labFault(lab.dir, lab.plan.name, 'bad-cmdline', false));

    const run = await runCli('provision', args(lab, '--only', TRIAL_STAGES.join(',')), 400_000);
    t.is(run.code, 1, describeRun(run));
    const report = jsonOf<ProvisionReport>(run).hosts.find((h) => h.host === lab.plan.name);
    if (!report) throw new Error(`no ${lab.plan.name} in the report: ${describeRun(run)}`);
    t.is(report.failedStage, 'reboot');
    const message = stageOf(report, 'reboot').error?.message ?? '';
    t.true(message.startsWith(`node2: the trial boot with the new params ${lab.plan.kernelParams.join(' ')} did not come up`), message);
    t.not(report.stages.find((s) => s.id === 'kernel-cmdline-commit')?.status, 'done', 'the params were not committed');
    const events = nodePower(lab.dir, lab.plan.name)?.history.map((h) => h.event) ?? [];
    t.true(events.some((e) => /^kernel panic with .* panic=10 \(fault bad-cmdline\)/.test(e)), 'the trial kernel panicked');

    t.is((await onNode(lab, ['cat', '/proc/cmdline'])).trim(), oldCmdline, 'back on the cmdline it had');
    const after = await c.paramsOnNode(lab);
    t.deepEqual(after, before, 'the node\'s boot configuration is as it was');
    assertParamsIn(t, lab, after, false);
  });
}
