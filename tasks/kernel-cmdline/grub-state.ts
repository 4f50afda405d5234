// What the node's GRUB configuration says about the plan's kernel params, read once per check,
// apply or verify: /etc/default/grub (and its planned edit), grub.cfg, grubenv, the trial script,
// the entry the next boot starts and the default entry (what boots when no one-shot is set).
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { cmdlineSatisfies } from '../parse/cmdline.ts';
import { grubVar } from '../parse/grub-default.ts';
import { parseGrubCfg, parseGrubEnv } from '../parse/grub-cfg.ts';
import type { GrubCommands } from '../parse/os-release.ts';
import { distroOf } from '../bios-verify/distro.ts';
import type { StageContext } from '../stage.ts';
import { nextBootEntry, type BootEntry } from './boot-entry.ts';
import { GRUB_DEFAULTS, editGrubDefaults } from './grub-defaults.ts';
import { grubCommandsOf, readGrubDefaults } from './grub-host.ts';
import { TRIAL_ENTRY_ID, TRIAL_SCRIPT } from './trial-entry.ts';

export interface GrubState {
  commands: GrubCommands;
  /** /etc/default/grub as it is, and with the plan's params. */
  defaults: string;
  edited: string;
  /** grub.cfg's text; undefined when there is none. */
  cfg: string | undefined;
  /** grubenv's raw text; undefined when there is none. */
  grubenvText: string | undefined;
  env: Record<string, string>;
  trialScript: string | undefined;
  /** The entry the next boot starts, a one-shot next_entry included. */
  next: BootEntry | undefined;
  /** The entry every boot without a one-shot starts: the default, and the fallback of a trial. */
  standing: BootEntry | undefined;
}

export async function readGrubState(ctx: StageContext): Promise<GrubState> {
  const commands = await grubCommandsOf(ctx.host, await distroOf(ctx));
  const defaults = await readGrubDefaults(ctx.host);
  const cfg = await ctx.host.readFile(commands.grubCfgPath);
  const grubenvText = await ctx.host.readFile(commands.grubenvPath);
  const env = parseGrubEnv(grubenvText ?? '');
  const grubDefault = grubVar(defaults, 'GRUB_DEFAULT');
  const withoutOneShot = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'next_entry'));
  return {
    commands,
    defaults,
    edited: editGrubDefaults(defaults, ctx.plan).text,
    cfg,
    grubenvText,
    env,
    trialScript: await ctx.host.readFile(TRIAL_SCRIPT),
    next: cfg === undefined ? undefined : nextBootEntry(cfg, commands.grubCfgPath, grubDefault, env),
    standing: cfg === undefined ? undefined : nextBootEntry(cfg, commands.grubCfgPath, grubDefault, withoutOneShot),
  };
}

export function isTrialEntry(entry: BootEntry | undefined): boolean {
  return entry?.entry.id === TRIAL_ENTRY_ID;
}

/** What `entry` lacks of the plan, in words; undefined when it has everything. */
export function entryShortfall(plan: HostPlan, state: GrubState, entry: BootEntry | undefined, which: string): string | undefined {
  if (!entry) return `there is no ${state.commands.grubCfgPath}`;
  const check = cmdlineSatisfies(entry.entry.params ?? '', plan.kernelParams);
  if (check.ok) return undefined;
  const lacks = [...check.missing, ...check.conflicting.map((c) => `${c.param} (has ${c.found})`)].join(' ');
  return `the ${which} "${entry.entry.title}" (${entry.chosenBy}) lacks ${lacks}`;
}

/** The params are the node's configuration: in /etc/default/grub and on the entries it boots. */
export function isCommitted(plan: HostPlan, state: GrubState): boolean {
  return state.edited === state.defaults && !isTrialEntry(state.standing) && !entryShortfall(plan, state, state.standing, 'default boot entry') && !entryShortfall(plan, state, state.next, 'next boot entry');
}

/** The next boot, and only that one, starts the trial entry with the plan's params. */
export function isTrialArmed(plan: HostPlan, state: GrubState): boolean {
  return isTrialEntry(state.next) && !isTrialEntry(state.standing) && !entryShortfall(plan, state, state.next, 'trial entry');
}

/** Anything of a trial left on the node: its script, its entry in grub.cfg, a one-shot naming it. */
export function trialLeftovers(state: GrubState): string[] {
  const left: string[] = [];
  if (state.trialScript !== undefined) left.push(`remove ${TRIAL_SCRIPT}`);
  if (state.env.next_entry === TRIAL_ENTRY_ID) left.push(`clear next_entry=${TRIAL_ENTRY_ID} in ${state.commands.grubenvPath}`);
  if (state.cfg !== undefined && parseGrubCfg(state.cfg).some((e) => e.id === TRIAL_ENTRY_ID)) left.push(`drop the trial entry from ${state.commands.grubCfgPath}`);
  return left;
}

export async function runningCmdline(host: Host): Promise<string> {
  return ((await host.readFile('/proc/cmdline')) ?? '').trim();
}

/** Why the params are not the node's configuration after they were written (verify's diagnosis). */
export function committedError(host: Host, plan: HostPlan, state: GrubState): FatalError {
  if (state.edited !== state.defaults) {
    return new FatalError(`${host.name}: ${GRUB_DEFAULTS} does not have the planned params after writing it`, {
      hint: 'something else on the node rewrites it (configuration management?); run with --dry-run to see the difference',
    });
  }
  if (isTrialEntry(state.standing)) {
    return new FatalError(`${host.name}: the default boot entry is the trial entry ${TRIAL_ENTRY_ID} (${state.standing?.chosenBy})`, {
      hint: `point GRUB_DEFAULT in ${GRUB_DEFAULTS} (or saved_entry) at the entry the node normally boots, then run again`,
    });
  }
  const shortfall = entryShortfall(plan, state, state.standing, 'default boot entry') ?? entryShortfall(plan, state, state.next, 'next boot entry') ?? 'no boot entry';
  return new FatalError(`${host.name}: after ${state.commands.mkconfig.join(' ')}, ${shortfall}`, {
    hint: `that entry does not take GRUB_CMDLINE_LINUX (hand-written, e.g. in /etc/grub.d/40_custom like the paper's?): point GRUB_DEFAULT in ${GRUB_DEFAULTS} at a generated entry, or add the params to that entry, then run again`,
  });
}
