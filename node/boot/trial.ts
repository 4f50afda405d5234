// Preparing a trial boot on the node, for any boot method and either direction: can GRUB do it
// here (read-only checks), the trial entry copied from the default entry with the edit, and
// arming it for the next boot only.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import type { BootEntry } from './boot-entry.ts';
import { GRUB_DEFAULTS } from './grub-defaults.ts';
import { armTrialEntry, probeGrubenvDevice, testGrubenvWrite } from './grub-host.ts';
import { grubenvBootWriteProblem, grubenvFileProblem } from './grubenv-check.ts';
import { isTrialEntry, type BootConfig } from './grub-state.ts';
import { TRIAL_ENTRY_ID, honoursNextEntry, trialParamsFor } from './trial-entry.ts';

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

/** The trial entry for the node's current default entry: its params with the edit, plus panic=N. */
export function buildTrialEntry(host: Host, config: BootConfig): TrialEntry {
  const base = config.entries.standing;
  if ((config.method.regenerates && config.cfg === undefined) || !base) {
    throw cannotTrial(host, `there is no ${config.commands.grubCfgPath} to copy the default entry from (regenerate it with ${config.commands.mkconfig.join(' ')})`);
  }
  if (isTrialEntry(base)) {
    throw new FatalError(`${host.name}: the default boot entry is the trial entry ${TRIAL_ENTRY_ID} (${base.chosenBy})`, {
      hint: `point GRUB_DEFAULT in ${GRUB_DEFAULTS} (or saved_entry) at the entry the node normally boots, then run again`,
    });
  }
  const params = trialParamsFor(base.entry.params ?? '', config.params.edit.add, config.params.edit.remove);
  return { base, params, script: config.method.renderTrial(config, base, params) };
}

/** The read-only half of the checks: grubenv's file, the disk under it, grub.cfg's header. */
export async function checkTrialPossible(host: Host, config: BootConfig): Promise<void> {
  const { grubenvPath, grubCfgPath } = config.commands;
  const fileProblem = grubenvFileProblem(grubenvPath, config.grubenvText);
  if (fileProblem) throw cannotTrial(host, fileProblem);
  const writeProblem = grubenvBootWriteProblem(grubenvPath, await probeGrubenvDevice(host, config.commands));
  if (writeProblem) throw cannotTrial(host, `${writeProblem}: it would not clear the one-shot entry, and a failing trial kernel would be booted again and again`);
  if (config.cfg !== undefined && !honoursNextEntry(config.cfg)) {
    throw cannotTrial(host, `${grubCfgPath} does not boot a one-shot next_entry (its header is not grub-mkconfig's)`);
  }
}

/** Writes the trial entry where the method keeps it and sets next_entry to it. */
export async function armTrial(host: Host, config: BootConfig, reread: () => Promise<BootConfig>): Promise<void> {
  await checkTrialPossible(host, config);
  // Before the probe writes grubenv: an entry that cannot be copied is refused with nothing written.
  const trial = buildTrialEntry(host, config);
  await testGrubenvWrite(host, config.commands);
  const placed = await config.method.placeTrial(host, config, trial.script, reread, (c) => buildTrialEntry(host, c).script);
  if (placed.cfg !== undefined && !honoursNextEntry(placed.cfg)) {
    throw cannotTrial(host, `${placed.commands.grubCfgPath} does not boot a one-shot next_entry (its header is not grub-mkconfig's)`);
  }
  await armTrialEntry(host, placed.commands);
}
