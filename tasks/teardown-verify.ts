// The last teardown stage: the node as it was before sriov-lxc, read once more (no sriov-lxc
// params on the running or the default cmdline, no VFs on the planned PFs, none of the inventory's
// containers unless kept), and the files left in place for the operator gathered for the report.
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { describeGoal, goalShortfall, runningCmdline } from '../node/boot/grub-state.ts';
import { readBootConfig } from '../node/boot/boot-config.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { recordedEdit } from '../node/boot/cmdline-trio.ts';
import { TEARDOWN_TRIO } from '../node/boot/trio-ids.ts';
import { distroOf } from '../node/facts/distro.ts';
import type { KeptFile } from '../node/files/owned-files.ts';
import { vfsNow } from '../node/vfs/numvfs.ts';
import { isKeptFiles } from '../node/files/owned-files.ts';
import type { RecordedOutputs } from '../core/outputs.ts';

export const TEARDOWN_VERIFY_ID = 'teardown-verify';

/** Every file an earlier teardown stage left in place, from their outputs. */
export function keptFiles(outputs: RecordedOutputs): KeptFile[] {
  return Object.entries(outputs)
    .filter(([id]) => id !== TEARDOWN_VERIFY_ID)
    .flatMap(([, o]) => (isKeptFiles(o.kept) ? o.kept : []));
}

async function observe(ctx: StageContext): Promise<{ problems: string[]; outputs: StageOutputs }> {
  const t = recordedEdit(ctx.outputs[TEARDOWN_TRIO.arm]) ?? { add: [], remove: [] };
  const problems: string[] = [];
  const cmdline = await runningCmdline(ctx.host);
  const running = goalShortfall(cmdline, t);
  if (running) problems.push(`the running kernel ${running}, it should be ${describeGoal(t)} (/proc/cmdline: ${cmdline})`);
  const standing = (await readBootConfig(ctx.host, await distroOf(ctx.host, ctx.outputs), ctx.plan, 'remove', t)).entries.standing;
  const entry = goalShortfall(standing?.entry.params ?? '', t);
  if (entry) problems.push(`the default boot entry "${standing?.entry.title}" ${entry}`);
  const vfs = await vfsNow(ctx.host, ctx.plan);
  for (const v of vfs) problems.push(`${v.pf} has ${v.vfs} VFs`);
  return { problems, outputs: { cmdline, kept: keptFiles(ctx.outputs) } };
}

export const verifyTeardownStage: Stage = {
  id: TEARDOWN_VERIFY_ID,
  title: 'Verify the node is as before sriov-lxc',
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, pfs: plan.pfs.map((pf) => pf.name) }),

  // What is not yet as before is the plan (a dry run before teardown lists it); there is nothing to
  // apply, and verify fails with it when the earlier stages did not get there.
  async check(ctx): Promise<CheckResult> {
    const { problems, outputs } = await observe(ctx);
    if (problems.length > 0) return { done: false, plan: problems.map((p) => `not as before yet: ${p}`) };
    const kept = keptFiles(ctx.outputs);
    return { done: true, reason: `no sriov-lxc params on the cmdline, no VFs${kept.length > 0 ? `; left in place: ${kept.map((k) => k.path).join(', ')}` : ''}`, outputs };
  },

  async apply() {},

  async verify(ctx) {
    const { problems, outputs } = await observe(ctx);
    if (problems.length > 0) {
      throw new FatalError(`${ctx.host.name} is not as before sriov-lxc: ${problems.join('; ')}`, { hint: 'run teardown again; its stages say what is left' });
    }
    return outputs;
  },
};
