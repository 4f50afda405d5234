// After the reboot stage: the params that came up in the trial boot become the node's
// configuration (GRUB_CMDLINE_LINUX, grub.cfg regenerated, the trial entry removed), so every later
// boot has them. A separate stage because verify is read-only: the reboot stage proves the trial,
// this one acts on the proof. Refuses to make params the default that no boot has shown to work.
// With trialBoot: false, kernel-cmdline has done all this already and the check says so.
import type { Host } from '../hosts/host.ts';
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { cmdlineSatisfies } from '../node/parse/cmdline.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { commitParams, describeCommit } from '../node/boot/commit-params.ts';
import { committedError, isCommitted, readGrubState, runningCmdline, trialLeftovers, type GrubState } from '../node/boot/grub-state.ts';
import { committedOutputs, kernelCmdlineStage } from './kernel-cmdline.ts';
import { usesTrialBoot } from '../node/boot/trial.ts';

/**
 * Refuses, with the reason, when the params would become the default without a boot having had
 * them: the trial did not happen or did not come up. /etc/default/grub already holding them means
 * a commit began (and stopped) after the trial: it is finished.
 */
async function checkProven(host: Host, plan: HostPlan, state: GrubState): Promise<void> {
  if (!usesTrialBoot(plan) || state.edited === state.defaults) return;
  const cmdline = await runningCmdline(host);
  if (cmdlineSatisfies(cmdline, plan.kernelParams).ok) return;
  throw new FatalError(`${host.name}: not making ${plan.kernelParams.join(' ')} the default: the running kernel does not have them, so no boot has shown that they work (/proc/cmdline: ${cmdline})`, {
    hint: 'run the stages kernel-cmdline and reboot first (--from kernel-cmdline): they boot the params once in a trial entry; or set trialBoot: false for this host to write them without a trial',
  });
}

function pending(plan: HostPlan, state: GrubState): boolean {
  return !isCommitted(plan, state) || trialLeftovers(state).length > 0;
}

export const kernelCmdlineCommitStage: Stage = {
  id: 'kernel-cmdline-commit',
  title: 'Make the kernel command line the default',
  inputs: (plan: HostPlan) => kernelCmdlineStage.inputs(plan),

  async check(ctx: StageContext): Promise<CheckResult> {
    const state = await readGrubState(ctx);
    if (!pending(ctx.plan, state)) {
      return { done: true, reason: `${state.paramsPath} and ${state.method === 'bls' ? 'every boot entry' : `the default boot entry "${state.standing?.entry.title}"`} have ${ctx.plan.kernelParams.join(' ')}; no trial entry left` };
    }
    if (!isCommitted(ctx.plan, state)) await checkProven(ctx.host, ctx.plan, state);
    return { done: false, ...(await describeCommit(ctx.host, ctx.plan, state)) };
  },

  async apply(ctx) {
    const state = await readGrubState(ctx);
    if (!isCommitted(ctx.plan, state)) await checkProven(ctx.host, ctx.plan, state);
    await commitParams(ctx.host, ctx.plan, state);
  },

  async verify(ctx): Promise<StageOutputs> {
    const state = await readGrubState(ctx);
    if (!isCommitted(ctx.plan, state)) throw committedError(ctx.host, ctx.plan, state);
    const left = trialLeftovers(state);
    if (left.length > 0) {
      throw new FatalError(`${ctx.host.name}: the trial boot is not cleaned up: still to ${left.join(', ')}`, {
        hint: 'something else on the node writes them back; remove them by hand and run again',
      });
    }
    return committedOutputs(state);
  },
};
