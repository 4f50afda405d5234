// What the two GRUB_CMDLINE methods (method-grub-defaults.ts, method-grub-dropin.ts) share: the
// entries of the generated grub.cfg, the trial entry as a /etc/grub.d script (grub.cfg
// regenerated to list it), the trial's leftovers, and the end of a commit.
import type { Host } from '../../hosts/host.ts';
import { parseGrubCfg } from '../parse/grub-cfg.ts';
import { grubVar } from '../parse/grub-default.ts';
import type { GrubCommands } from '../parse/os-release.ts';
import { nextBootEntry, type BootEntry } from './boot-entry.ts';
import { clearNextEntry, readGrubDefaults, regenerateGrubCfg, removeTrialScript, writeTrialScript } from './grub-host.ts';
import type { BootConfig, BootMethod, Entries } from './method.ts';
import { TRIAL_ENTRY_ID, TRIAL_SCRIPT, honoursNextEntry, menuEntryBody, renderTrialScript } from './trial-entry.ts';
import { trialFileLeftovers } from './grub-state.ts';

export { TRIAL_SCRIPT };

export async function grubCfgEntries(host: Host, commands: GrubCommands, cfg: string | undefined, env: Readonly<Record<string, string>>): Promise<Entries> {
  const grubDefault = grubVar(await readGrubDefaults(host), 'GRUB_DEFAULT');
  const withoutOneShot = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'next_entry'));
  const entries = cfg === undefined ? [] : parseGrubCfg(cfg);
  return {
    entries,
    next: cfg === undefined ? undefined : nextBootEntry(entries, commands.grubCfgPath, cfg, grubDefault, env),
    standing: cfg === undefined ? undefined : nextBootEntry(entries, commands.grubCfgPath, cfg, grubDefault, withoutOneShot),
  };
}

export function renderGrubTrial(config: BootConfig, base: BootEntry, params: string): string {
  return renderTrialScript(base.entry, menuEntryBody(config.cfg ?? '', base.entry), params);
}

/**
 * Writes the trial script and regenerates grub.cfg. When grub.cfg was older than the node's
 * kernels or its defaults, the default entry changes with the regeneration: the trial is copied
 * again from the new one (`rebuild`).
 */
export async function placeGrubTrial(host: Host, config: BootConfig, script: string, reread: () => Promise<BootConfig>, rebuild: (c: BootConfig) => string): Promise<BootConfig> {
  const unchanged = `the trial entry is in ${TRIAL_SCRIPT}, ${config.params.path} is unchanged`;
  if (script !== config.trialScript) await writeTrialScript(host, TRIAL_SCRIPT, script);
  await regenerateGrubCfg(host, config.commands, unchanged);
  let current = await reread();
  const again = rebuild(current);
  if (again !== script) {
    await writeTrialScript(host, TRIAL_SCRIPT, again);
    await regenerateGrubCfg(host, current.commands, unchanged);
    current = await reread();
  }
  return current;
}

export function grubLeftovers(config: BootConfig): string[] {
  const left = trialFileLeftovers(config);
  if (config.entries.entries.some((e) => e.id === TRIAL_ENTRY_ID)) left.push(`drop the trial entry from ${config.commands.grubCfgPath}`);
  return left;
}

/** After the params file is written: the trial's script and one-shot gone, grub.cfg regenerated. */
export async function finishGrubCommit(host: Host, config: BootConfig, written: string): Promise<void> {
  if (config.trialScript !== undefined) await removeTrialScript(host, TRIAL_SCRIPT);
  if (config.env.next_entry === TRIAL_ENTRY_ID) await clearNextEntry(host, config.commands);
  await regenerateGrubCfg(host, config.commands, written);
}

/** The plan lines every GRUB commit ends with. */
export function grubCommitTail(config: BootConfig): string[] {
  return [...grubLeftovers(config).filter((l) => !l.startsWith('drop ')), `regenerate ${config.commands.grubCfgPath}: ${config.commands.mkconfig.join(' ')}`];
}

export { honoursNextEntry };

/** The part of a BootMethod that is grub.cfg's: entries, trial script, leftovers. */
export const GRUB_MENU = {
  covers: 'the default boot entry',
  trialPath: TRIAL_SCRIPT,
  regenerates: true,
  entries: grubCfgEntries,
  entriesShortfall: () => undefined,
  renderTrial: renderGrubTrial,
  placeTrial: placeGrubTrial,
  leftovers: grubLeftovers,
} satisfies Partial<BootMethod>;
