// Making the plan's params the node's configuration: GRUB_CMDLINE_LINUX edited (original kept as
// a backup), the trial entry and a one-shot naming it removed, grub.cfg regenerated. The plain
// method of kernel-cmdline and the kernel-cmdline-commit stage after a trial boot both end here.
// Every step is safe to repeat, so a run that stops halfway is finished by the next one.
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { unifiedDiff } from '../parse/diff.ts';
import type { FileDiff } from '../stage.ts';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP, describeEdit } from './grub-defaults.ts';
import { clearNextEntry, regenerateGrubCfg, removeTrialScript, writeGrubDefaults } from './grub-host.ts';
import { entryShortfall, trialLeftovers, type GrubState } from './grub-state.ts';
import { TRIAL_ENTRY_ID } from './trial-entry.ts';

/** What commitParams will change, in words, and the diff of /etc/default/grub. */
export async function describeCommit(host: Host, plan: HostPlan, state: GrubState): Promise<{ plan: string[]; diffs: FileDiff[] }> {
  const lines: string[] = [];
  if (state.edited !== state.defaults) {
    lines.push(...describeEdit(state.defaults, plan).map((line) => `${GRUB_DEFAULTS}: ${line}`));
    if ((await host.readFile(GRUB_DEFAULTS_BACKUP)) === undefined) lines.push(`keep the original as ${GRUB_DEFAULTS_BACKUP}`);
  } else {
    const shortfall = entryShortfall(plan, state, state.standing, 'default boot entry') ?? entryShortfall(plan, state, state.next, 'next boot entry');
    if (shortfall) lines.push(`why: ${shortfall}`);
  }
  lines.push(...trialLeftovers(state).filter((l) => !l.startsWith('drop ')));
  lines.push(`regenerate ${state.commands.grubCfgPath}: ${state.commands.mkconfig.join(' ')}`);
  const diffs = state.edited === state.defaults ? [] : [{ path: GRUB_DEFAULTS, diff: unifiedDiff(GRUB_DEFAULTS, state.defaults, state.edited) }];
  return { plan: lines, diffs };
}

export async function commitParams(host: Host, state: GrubState): Promise<void> {
  if (state.edited !== state.defaults) await writeGrubDefaults(host, state.defaults, state.edited);
  if (state.trialScript !== undefined) await removeTrialScript(host);
  if (state.env.next_entry === TRIAL_ENTRY_ID) await clearNextEntry(host, state.commands);
  await regenerateGrubCfg(host, state.commands);
}
