// The reboot stage's view of the boot loader: will the next boot have the plan's params, and when
// a trial boot came back without them, what happened (the diagnosis names the params).
import { FatalError } from '../../core/errors.ts';
import type { CmdlineCheck } from '../parse/cmdline.ts';
import type { StageContext, StageOutputs } from '../../engine/stage.ts';
import { entryShortfall, isTrialEntry, readGrubState } from './grub-state.ts';
import { TRIAL_ENTRY_ID } from './trial-entry.ts';
import { describeShortfall } from './boot-state.ts';

/** What kernel-cmdline recorded when it armed a trial boot. */
export interface ArmedTrial {
  trialEntry: string;
  params: string;
  fallbackEntry: string;
  grubenv: string;
}

export function armedTrial(outputs: StageOutputs | undefined): ArmedTrial | undefined {
  const o = outputs as Partial<Record<keyof ArmedTrial | 'method' | 'phase', unknown>> | undefined;
  if (o?.method !== 'trial' || o.phase !== 'armed') return undefined;
  const { trialEntry, params, fallbackEntry, grubenv } = o;
  if (typeof trialEntry !== 'string' || typeof params !== 'string' || typeof fallbackEntry !== 'string' || typeof grubenv !== 'string') return undefined;
  return { trialEntry, params, fallbackEntry, grubenv };
}

/**
 * Throws when rebooting now would not boot the plan's params (and so would prove nothing):
 * kernel-cmdline did not run, its one-shot trial was used up, or the params came up in a trial
 * and are not the default yet.
 */
export async function checkNextBootHasParams(ctx: StageContext, runningOk: boolean): Promise<void> {
  const state = await readGrubState(ctx);
  const shortfall = entryShortfall(ctx.plan, state, state.next, 'next boot entry');
  if (!shortfall) return;
  if (runningOk) {
    throw new FatalError(`${ctx.host.name}: the running kernel has ${ctx.plan.kernelParams.join(' ')} from a trial boot, but they are not the default yet: rebooting now would start the ${shortfall.slice('the '.length)}`, {
      hint: 'make them the default first: run with --from kernel-cmdline-commit (then the stages after it)',
    });
  }
  throw new FatalError(`${ctx.host.name}: rebooting now would not give the kernel the planned params: ${shortfall}`, {
    hint: 'run kernel-cmdline first (--from kernel-cmdline rather than --retry-failed): it prepares the boot entry, or arms the one-shot trial boot again',
  });
}

/** The diagnosis when the node came back from its trial boot without the params. */
export async function trialFailedError(ctx: StageContext, trial: ArmedTrial, cmdline: string, check: CmdlineCheck): Promise<FatalError> {
  const state = await readGrubState(ctx);
  const params = ctx.plan.kernelParams.join(' ');
  const missing = describeShortfall(check);
  if (state.env.next_entry === TRIAL_ENTRY_ID && isTrialEntry(state.next)) {
    return new FatalError(
      `${ctx.host.name}: the node rebooted without starting the trial entry "${trial.trialEntry}": next_entry=${TRIAL_ENTRY_ID} is still set in ${trial.grubenv}, so the GRUB that booted did not read it (/proc/cmdline lacks ${missing})`,
      {
        hint: `the firmware may start another boot loader or grub.cfg than ${state.commands.grubCfgPath} (EFI boot order, a second disk); \`efibootmgr -v\` and the console show which. Clear the one-shot with \`${state.commands.editenv} ${trial.grubenv} unset next_entry\` or run again after fixing`,
      },
    );
  }
  return new FatalError(
    `${ctx.host.name}: the trial boot with the new params ${params} did not come up: GRUB started "${trial.trialEntry}" once, and the node is back on its previous configuration, the unchanged default entry "${trial.fallbackEntry}" (/proc/cmdline: ${cmdline}; it lacks ${missing})`,
    {
      hint: 'the kernel with these params panicked or hung (see the node\'s console or the previous boot\'s kernel log); fix the params in the inventory (iommu, hugepages, pfs, kernelParams) or the BIOS, then run again: kernel-cmdline arms a new trial, within the reboot budget',
    },
  );
}
