// Making the plan's params the node's configuration, by the node's boot method: GRUB_CMDLINE_LINUX
// in /etc/default/grub (original kept as a backup) or our /etc/default/grub.d drop-in, then grub.cfg
// regenerated; on BLS, grubby on every entry and /etc/kernel/cmdline (what a kernel installed later
// takes). The trial entry and a one-shot naming it are removed first. The plain method of
// kernel-cmdline and the kernel-cmdline-commit stage after a trial boot both end here. Every step is
// safe to repeat, so a run that stops halfway is finished by the next one.
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { unifiedDiff } from '../parse/diff.ts';
import type { FileDiff } from '../../engine/stage.ts';
import { contradictingParams, describeEdit, describeParamsEdit, GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP } from './grub-defaults.ts';
import { clearNextEntry, regenerateGrubCfg, removeTrialScript, updateAllBlsEntries, writeGrubDefaults } from './grub-host.ts';
import { entryShortfall, trialLeftovers, type GrubState } from './grub-state.ts';
import { TRIAL_ENTRY_ID } from './trial-entry.ts';

/** What commitParams will change, in words, and the diff of the params file. */
export async function describeCommit(host: Host, plan: HostPlan, state: GrubState): Promise<{ plan: string[]; diffs: FileDiff[] }> {
  const lines: string[] = [...state.overrides.map((o) => `noticed: ${o}; ${state.paramsPath} is read after it`)];
  if (state.method === 'bls') {
    lines.push(...trialLeftovers(state));
    if (state.entriesShortfall || entryShortfall(plan, state, state.standing, 'default boot entry')) {
      lines.push(`grubby --update-kernel=ALL: ${describeParamsEdit(state.standing?.entry.params ?? '', plan).join(', ') || `set ${plan.kernelParams.join(' ')}`} on every boot entry`);
    }
    if (state.edited !== state.defaults) lines.push(`${state.paramsPath}: ${describeParamsEdit(state.defaults, plan).join(', ') || 'write it'} (kernels installed later take it)`);
    const diffs = state.edited === state.defaults ? [] : [{ path: state.paramsPath, diff: unifiedDiff(state.paramsPath, state.defaults, state.edited) }];
    return { plan: lines, diffs };
  }
  if (state.edited !== state.defaults && state.method === 'grub-dropin') {
    lines.push(`${state.paramsPath}: GRUB_CMDLINE_LINUX(_DEFAULT) with ${plan.kernelParams.join(' ')}, read after ${GRUB_DEFAULTS} and the other drop-ins`);
  } else if (state.edited !== state.defaults) {
    lines.push(...describeEdit(state.defaults, plan).map((line) => `${GRUB_DEFAULTS}: ${line}`));
    if ((await host.readFile(GRUB_DEFAULTS_BACKUP)) === undefined) lines.push(`keep the original as ${GRUB_DEFAULTS_BACKUP}`);
  } else {
    const shortfall = entryShortfall(plan, state, state.standing, 'default boot entry') ?? entryShortfall(plan, state, state.next, 'next boot entry');
    if (shortfall) lines.push(`why: ${shortfall}`);
  }
  lines.push(...trialLeftovers(state).filter((l) => !l.startsWith('drop ')));
  lines.push(`regenerate ${state.commands.grubCfgPath}: ${state.commands.mkconfig.join(' ')}`);
  const diffs = state.edited === state.defaults ? [] : [{ path: state.paramsPath, diff: unifiedDiff(state.paramsPath, state.defaults, state.edited) }];
  return { plan: lines, diffs };
}

export async function commitParams(host: Host, plan: HostPlan, state: GrubState): Promise<void> {
  if (state.method === 'bls') {
    // The trial entry first: grubby --update-kernel=ALL would edit it too.
    if (state.trialScript !== undefined) await removeTrialScript(host, state.trialPath);
    if (state.env.next_entry === TRIAL_ENTRY_ID) await clearNextEntry(host, state.commands);
    await updateAllBlsEntries(host, plan.kernelParams, contradictingParams(plan));
    if (state.edited !== state.defaults) await host.writeFile(state.paramsPath, state.edited, { mode: 0o644 });
    return;
  }
  if (state.edited !== state.defaults) {
    if (state.method === 'grub-defaults') await writeGrubDefaults(host, state.defaults, state.edited);
    else await host.writeFile(state.paramsPath, state.edited, { mode: 0o644 });
  }
  if (state.trialScript !== undefined) await removeTrialScript(host, state.trialPath);
  if (state.env.next_entry === TRIAL_ENTRY_ID) await clearNextEntry(host, state.commands);
  if (state.method === 'grub-defaults') await regenerateGrubCfg(host, state.commands);
  else await regenerateGrubCfg(host, state.commands, `${state.paramsPath} is already written`);
}
