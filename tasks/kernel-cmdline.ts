// Stage 4, kernel-cmdline (paper section 3: "intel_iommu=off default_hugepagesz=2M hugepagesz=2M
// ixgbe.max_vfs=8,8"): the plan's kernel params for the next boot. Two methods:
//
// - trial boot (the default, plan.trialBoot): the params go into a trial entry of their own, a
//   copy of the default entry plus panic=N (/etc/grub.d/99_sriov-lxc-trial), armed for the next
//   boot only with grub-reboot. GRUB clears that one-shot before it starts the trial kernel, so
//   if the kernel panics it reboots into the untouched default entry: the node comes back on its
//   previous configuration by itself. The reboot stage boots the trial and checks /proc/cmdline;
//   kernel-cmdline-commit writes the params into GRUB_CMDLINE_LINUX only after that.
//   Not GRUB_CMDLINE_LINUX first with GRUB_DEFAULT=saved pinned to the old entry: grub-mkconfig
//   puts GRUB_CMDLINE_LINUX on every entry it generates, the old one included, so no generated
//   entry would keep the previous cmdline. The operator's GRUB_DEFAULT stays as it is: the header
//   grub-mkconfig writes honours next_entry whatever GRUB_DEFAULT is (checked in grub.cfg).
// - plain (trialBoot: false, for nodes whose GRUB cannot write grubenv at boot): GRUB_CMDLINE_LINUX
//   edited and grub.cfg regenerated now, active at the next boot, with no way back by itself.
//
// The paper cloned an entry into /etc/grub.d/40_custom by hand, freezing one kernel into the config
// (its title, vmlinuz and initramfs even name three different builds); the trial entry is a copy
// too, but lives for one boot and is removed by the commit: the permanent entries stay generated.
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { cmdlineSatisfies } from '../node/parse/cmdline.ts';
import { unifiedDiff } from '../node/parse/diff.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { commitParams, describeCommit } from '../node/boot/commit-params.ts';
import { GRUB_DEFAULTS_BACKUP, describeParamsEdit } from '../node/boot/grub-defaults.ts';
import { committedError, entryShortfall, isCommitted, isTrialArmed, readGrubState, runningCmdline, type GrubState } from '../node/boot/grub-state.ts';
import { NO_TRIAL_HINT, armTrial, buildTrialEntry, checkTrialPossible, usesTrialBoot } from '../node/boot/trial.ts';
import { TRIAL_ENTRY_ID, TRIAL_PANIC_SECONDS } from '../node/boot/trial-entry.ts';

const params = (plan: HostPlan): string => plan.kernelParams.join(' ');

/** The trial's state that makes this stage done; undefined when there is something to do. */
async function trialDone(ctx: StageContext, state: GrubState): Promise<string | undefined> {
  if (cmdlineSatisfies(await runningCmdline(ctx.host), ctx.plan.kernelParams).ok) {
    return `the running kernel already has ${params(ctx.plan)}; kernel-cmdline-commit makes them the default`;
  }
  if (isTrialArmed(ctx.plan, state)) {
    return `the next boot only starts the trial entry "${state.next?.entry.title}" with ${params(ctx.plan)}; the default entry "${state.standing?.entry.title}" stays as it is`;
  }
  return undefined;
}

async function trialPlan(ctx: StageContext, state: GrubState): Promise<CheckResult> {
  await checkTrialPossible(ctx.host, state);
  const trial = buildTrialEntry(ctx.host, ctx.plan, state);
  const base = `"${trial.base.entry.title}"`;
  return {
    done: false,
    plan: [
      ...state.overrides.map((o) => `noticed: ${o}; ${state.paramsPath} will be read after it`),
      `copy the default entry ${base} into a trial entry (${state.trialPath}) that boots ${trial.params}: ${[...describeParamsEdit(trial.base.entry.params ?? '', ctx.plan), `panic=${TRIAL_PANIC_SECONDS} unless it reboots on panic already`].join(', ')}`,
      ...(state.method === 'bls' ? [] : [`regenerate ${state.commands.grubCfgPath}: ${state.commands.mkconfig.join(' ')}`]),
      `${state.commands.reboot} ${TRIAL_ENTRY_ID}: the next boot only starts the trial entry; if its kernel does not come up, the boot after it starts ${base} again`,
      state.method === 'bls'
        ? `every boot entry (grubby --update-kernel=ALL) and ${state.paramsPath} are changed after the trial boot came up with the params (stage kernel-cmdline-commit)`
        : `${state.paramsPath} is changed after the trial boot came up with the params (stage kernel-cmdline-commit)`,
    ],
    diffs: trial.script === state.trialScript ? [] : [{ path: state.trialPath, diff: unifiedDiff(state.trialPath, state.trialScript ?? '', trial.script) }],
  };
}

export function committedOutputs(state: GrubState): StageOutputs {
  return {
    method: 'default',
    bootMethod: state.method,
    paramsFile: state.paramsPath,
    grubCfg: state.commands.grubCfgPath,
    entry: state.standing?.entry.title,
    chosenBy: state.standing?.chosenBy,
    params: state.standing?.entry.params,
    backup: GRUB_DEFAULTS_BACKUP,
  };
}

export const kernelCmdlineStage: Stage = {
  id: 'kernel-cmdline',
  title: 'Set the kernel command line',
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, iommu: plan.iommu, pfModule: plan.driver.pfModule, maxVfs: plan.pfs.map((p) => p.vfCreation) }),

  async check(ctx): Promise<CheckResult> {
    const state = await readGrubState(ctx);
    if (isCommitted(ctx.plan, state)) {
      return { done: true, reason: `${state.paramsPath} and ${state.method === 'bls' ? 'every boot entry' : `the default boot entry "${state.standing?.entry.title}"`} have ${params(ctx.plan)}` };
    }
    if (!usesTrialBoot(ctx.plan)) return { done: false, ...(await describeCommit(ctx.host, ctx.plan, state)) };
    const done = await trialDone(ctx, state);
    return done ? { done: true, reason: done } : trialPlan(ctx, state);
  },

  async apply(ctx) {
    const state = await readGrubState(ctx);
    if (usesTrialBoot(ctx.plan)) await armTrial(ctx, state);
    else await commitParams(ctx.host, ctx.plan, state);
  },

  async verify(ctx): Promise<StageOutputs> {
    const state = await readGrubState(ctx);
    if (isCommitted(ctx.plan, state)) return committedOutputs(state);
    if (!usesTrialBoot(ctx.plan)) throw committedError(ctx.host, ctx.plan, state);
    const cmdline = await runningCmdline(ctx.host);
    if (cmdlineSatisfies(cmdline, ctx.plan.kernelParams).ok) return { method: 'trial', phase: 'booted', cmdline };
    const { next, standing } = state;
    if (next && standing && isTrialArmed(ctx.plan, state)) {
      return {
        method: 'trial',
        phase: 'armed',
        grubCfg: state.commands.grubCfgPath,
        grubenv: state.commands.grubenvPath,
        trialEntry: next.entry.title,
        params: next.entry.params,
        fallbackEntry: standing.entry.title,
        fallbackParams: standing.entry.params,
      };
    }
    const why = entryShortfall(ctx.plan, state, next, 'next boot entry') ?? `the next boot entry is "${next?.entry.title}" (${next?.chosenBy}), not the trial entry`;
    throw new FatalError(`${ctx.host.name}: after ${state.commands.reboot} ${TRIAL_ENTRY_ID}, ${why}`, {
      hint: `something else sets next_entry in ${state.commands.grubenvPath} or the default entry (\`${state.commands.editenv} ${state.commands.grubenvPath} list\` shows it); run again, or ${NO_TRIAL_HINT}`,
    });
  },
};
