// Preparing a trial boot on the node: can GRUB do it here (read-only checks), the trial entry
// built from the default entry, and arming it for the next boot only.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import type { StageContext } from '../../engine/stage.ts';
import type { BootEntry } from './boot-entry.ts';
import { GRUB_DEFAULTS } from './grub-defaults.ts';
import { armTrialEntry, pinDefaultEntry, probeGrubenvDevice, regenerateGrubCfg, testGrubenvWrite, writeTrialScript } from './grub-host.ts';
import { grubenvBootWriteProblem, grubenvFileProblem } from './grubenv-check.ts';
import { isTrialEntry, readGrubState, type GrubState } from './grub-state.ts';
import { TRIAL_ENTRY_ID, honoursNextEntry, menuEntryBody, renderBlsTrial, renderTrialScript, trialParams } from './trial-entry.ts';

export const NO_TRIAL_HINT =
  'set trialBoot: false for this host in the inventory (or run with --no-trial-boot): the params then go straight into the default entry, without the automatic fallback';

export const usesTrialBoot = (plan: HostPlan): boolean => plan.trialBoot !== false;

export interface TrialEntry {
  /** The entry it is copied from: the default, which every later boot starts. */
  base: BootEntry;
  params: string;
  script: string;
}

function cannotTrial(host: Host, why: string): FatalError {
  return new FatalError(`${host.name}: no trial boot possible: ${why}`, { hint: NO_TRIAL_HINT });
}

/** The trial entry for the node's current default entry. */
export function buildTrialEntry(host: Host, plan: HostPlan, state: GrubState): TrialEntry {
  const base = state.standing;
  if (state.cfg === undefined || !base) throw cannotTrial(host, `there is no ${state.commands.grubCfgPath} to copy the default entry from (regenerate it with ${state.commands.mkconfig.join(' ')})`);
  if (isTrialEntry(base)) {
    throw new FatalError(`${host.name}: the default boot entry is the trial entry ${TRIAL_ENTRY_ID} (${base.chosenBy})`, {
      hint: `point GRUB_DEFAULT in ${GRUB_DEFAULTS} (or saved_entry) at the entry the node normally boots, then run again`,
    });
  }
  const params = trialParams(base.entry.params ?? '', plan);
  if (state.method === 'bls') {
    if (state.baseEntryFile === undefined) throw cannotTrial(host, `the default entry's file ${state.trialPath.slice(0, state.trialPath.lastIndexOf('/'))}/${base.entry.id ?? '?'}.conf cannot be read`);
    return { base, params, script: renderBlsTrial(base.entry.title, state.baseEntryFile, params) };
  }
  return { base, params, script: renderTrialScript(base.entry, menuEntryBody(state.cfg, base.entry), params) };
}

/** The read-only half of the checks: grubenv's file, the disk under it, grub.cfg's header. */
export async function checkTrialPossible(host: Host, state: GrubState): Promise<void> {
  const { grubenvPath, grubCfgPath } = state.commands;
  const fileProblem = grubenvFileProblem(grubenvPath, state.grubenvText);
  if (fileProblem) throw cannotTrial(host, fileProblem);
  const writeProblem = grubenvBootWriteProblem(grubenvPath, await probeGrubenvDevice(host, state.commands));
  if (writeProblem) throw cannotTrial(host, `${writeProblem}: it would not clear the one-shot entry, and a failing trial kernel would be booted again and again`);
  if (state.cfg !== undefined && !honoursNextEntry(state.cfg)) {
    throw cannotTrial(host, `${grubCfgPath} does not boot a one-shot next_entry (its header is not grub-mkconfig's)`);
  }
}

/**
 * Writes the trial entry, regenerates grub.cfg and sets next_entry to it. When grub.cfg was older
 * than the node's kernels or /etc/default/grub, the default entry changes with the regeneration:
 * the trial is copied again from the new one.
 */
export async function armTrial(ctx: StageContext, state: GrubState): Promise<void> {
  const { host, plan } = ctx;
  await checkTrialPossible(host, state);
  await testGrubenvWrite(host, state.commands);
  const trial = buildTrialEntry(host, plan, state);
  if (state.method === 'bls') {
    // GRUB_DEFAULT=saved with no saved_entry boots the first entry: pin the default by its id so
    // that the trial entry, wherever blscfg sorts it, is booted only by the one-shot.
    const baseId = trial.base.entry.id;
    if (!state.env.saved_entry && baseId) await pinDefaultEntry(host, state.commands, baseId);
    if (trial.script !== state.trialScript) await writeTrialScript(host, state.trialPath, trial.script);
    await armTrialEntry(host, state.commands);
    return;
  }
  const unchanged = `the trial entry is in ${state.trialPath}, ${state.paramsPath} is unchanged`;
  if (trial.script !== state.trialScript) await writeTrialScript(host, state.trialPath, trial.script);
  await regenerateGrubCfg(host, state.commands, unchanged);
  let current = await readGrubState(ctx);
  const again = buildTrialEntry(host, plan, current);
  if (again.script !== trial.script) {
    await writeTrialScript(host, current.trialPath, again.script);
    await regenerateGrubCfg(host, current.commands, unchanged);
    current = await readGrubState(ctx);
  }
  if (current.cfg !== undefined && !honoursNextEntry(current.cfg)) {
    throw cannotTrial(host, `${current.commands.grubCfgPath} does not boot a one-shot next_entry (its header is not grub-mkconfig's)`);
  }
  await armTrialEntry(host, current.commands);
}
