// What the node's boot configuration says about the plan's kernel params, read once per check,
// apply or verify, for the node's boot method (boot-method.ts): the file that carries the params
// (/etc/default/grub, our /etc/default/grub.d drop-in, or /etc/kernel/cmdline) and its planned
// text, the boot entries (grub.cfg's menu, or the BLS entries grubby lists), grubenv, the trial
// entry's file, the entry the next boot starts and the default entry (what boots with no one-shot).
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { cmdlineSatisfies, editCmdline } from '../parse/cmdline.ts';
import { grubVar } from '../parse/grub-default.ts';
import { parseGrubCfg, parseGrubEnv, type GrubMenuEntry } from '../parse/grub-cfg.ts';
import { grubbyParams, parseGrubbyInfo } from '../parse/grubby-info.ts';
import type { GrubCommands } from '../parse/os-release.ts';
import { distroOf, RECORDED_DISTRO } from '../facts/distro.ts';
import { recorded } from '../../core/outputs.ts';
import type { StageContext } from '../../engine/stage.ts';
import { nextBootEntry, type BootEntry } from './boot-entry.ts';
import {
  BLS_DIR,
  GRUB_DROPIN,
  KERNEL_CMDLINE,
  describeOverrides,
  detectBootMethod,
  effectiveCmdlineOf,
  overridesAfterDropin,
  renderDropin,
  traceGrubDefaults,
  type BootMethod,
} from './boot-method.ts';
import { GRUB_DEFAULTS, contradictingParams, editGrubDefaults } from './grub-defaults.ts';
import { grubCommandsOf, readGrubDefaults } from './grub-host.ts';
import { BLS_TRIAL_FILE, TRIAL_ENTRY_ID, TRIAL_SCRIPT } from './trial-entry.ts';

export interface GrubState {
  method: BootMethod;
  commands: GrubCommands;
  /** The file that carries the params: /etc/default/grub, our grub.d drop-in or /etc/kernel/cmdline. */
  paramsPath: string;
  /** That file as it is ('' when absent), and with the plan's params. */
  defaults: string;
  edited: string;
  /** grub.d: the drop-ins that override /etc/default/grub, in words (noticed, and beaten by ours). */
  overrides: string[];
  /** grub.cfg's text; undefined when there is none. */
  cfg: string | undefined;
  /** grubenv's raw text; undefined when there is none. */
  grubenvText: string | undefined;
  env: Record<string, string>;
  /** The boot entries: grub.cfg's menu entries, or on BLS the entries of /boot/loader/entries. */
  entries: GrubMenuEntry[];
  /** BLS: the first entry (the trial aside) that lacks the params; every entry gets them. */
  entriesShortfall: string | undefined;
  /** BLS: the default entry's file, which the trial entry copies. */
  baseEntryFile: string | undefined;
  /** Where the trial entry lives: a /etc/grub.d script, or a BLS file. */
  trialPath: string;
  trialScript: string | undefined;
  /** The entry the next boot starts, a one-shot next_entry included. */
  next: BootEntry | undefined;
  /** The entry every boot without a one-shot starts: the default, and the fallback of a trial. */
  standing: BootEntry | undefined;
}

/** The BLS entries as grubby lists them, in the shape of grub.cfg's menu entries. */
async function blsEntries(host: Host): Promise<GrubMenuEntry[]> {
  const info = await host.run(['grubby', '--info=ALL']);
  return parseGrubbyInfo(info.stdout).map((e) => ({ title: e.title, id: e.id, index: e.index, submenus: [], kernel: e.kernel, params: grubbyParams(e) }));
}

function blsShortfall(plan: HostPlan, entries: readonly GrubMenuEntry[]): string | undefined {
  for (const e of entries) {
    if (e.id === TRIAL_ENTRY_ID) continue;
    const check = cmdlineSatisfies(e.params ?? '', plan.kernelParams);
    if (!check.ok) return `the boot entry "${e.title}" (${BLS_DIR}/${e.id}.conf) lacks ${[...check.missing, ...check.conflicting.map((c) => c.param)].join(' ')}`;
  }
  return undefined;
}

const safeId = (id: string | null | undefined): id is string => typeof id === 'string' && /^[\w.+~-]+$/.test(id);

export async function readGrubState(ctx: StageContext): Promise<GrubState> {
  const { host, plan } = ctx;
  const commands = await grubCommandsOf(host, await distroOf(host, recorded(ctx.outputs, RECORDED_DISTRO)));
  const cfg = await host.readFile(commands.grubCfgPath);
  const method = await detectBootMethod(host, cfg);
  const grubenvText = await host.readFile(commands.grubenvPath);
  const env = parseGrubEnv(grubenvText ?? '');
  const withoutOneShot = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'next_entry'));

  if (method === 'bls') {
    const entries = await blsEntries(host);
    const grubDefault = grubVar((await host.readFile(GRUB_DEFAULTS)) ?? 'GRUB_DEFAULT=saved\n', 'GRUB_DEFAULT');
    const where = `${BLS_DIR} (grubby --info=ALL)`;
    const standing = nextBootEntry(entries, where, cfg, grubDefault, withoutOneShot);
    const current = await host.readFile(KERNEL_CMDLINE);
    const base = current?.trim() ?? standing.entry.params ?? '';
    const baseEntryFile = safeId(standing.entry.id) ? await host.readFile(`${BLS_DIR}/${standing.entry.id}.conf`) : undefined;
    return {
      method,
      commands,
      paramsPath: KERNEL_CMDLINE,
      defaults: current ?? '',
      edited: `${editCmdline(base, plan.kernelParams, contradictingParams(plan)).trim()}\n`,
      overrides: [],
      cfg,
      grubenvText,
      env,
      entries,
      entriesShortfall: blsShortfall(plan, entries),
      baseEntryFile,
      trialPath: BLS_TRIAL_FILE,
      trialScript: await host.readFile(BLS_TRIAL_FILE),
      next: nextBootEntry(entries, where, cfg, grubDefault, env),
      standing,
    };
  }

  const defaults = await readGrubDefaults(host);
  const grubDefault = grubVar(defaults, 'GRUB_DEFAULT');
  const entries = cfg === undefined ? [] : parseGrubCfg(cfg);
  const common = {
    method,
    commands,
    cfg,
    grubenvText,
    env,
    entries,
    entriesShortfall: undefined,
    baseEntryFile: undefined,
    trialPath: TRIAL_SCRIPT,
    trialScript: await host.readFile(TRIAL_SCRIPT),
    next: cfg === undefined ? undefined : nextBootEntry(entries, commands.grubCfgPath, cfg, grubDefault, env),
    standing: cfg === undefined ? undefined : nextBootEntry(entries, commands.grubCfgPath, cfg, grubDefault, withoutOneShot),
  };
  if (method === 'grub-defaults') {
    return { ...common, paramsPath: GRUB_DEFAULTS, defaults, edited: editGrubDefaults(defaults, plan).text, overrides: [] };
  }
  const trace = await traceGrubDefaults(host);
  const after = overridesAfterDropin(trace);
  if (after.length > 0) {
    throw new FatalError(`${host.name}: ${after.join(', ')} ${after.length > 1 ? 'are' : 'is'} read after ${GRUB_DROPIN} and change${after.length > 1 ? '' : 's'} GRUB_CMDLINE_LINUX(_DEFAULT): it would undo the kernel params`, {
      hint: `move those settings into a file that sorts before 99-sriov-lxc.cfg (grub-mkconfig reads ${GRUB_DROPIN.slice(0, GRUB_DROPIN.lastIndexOf('/'))}/*.cfg in name order), then run again`,
    });
  }
  const current = (await host.readFile(GRUB_DROPIN)) ?? '';
  const edited = renderDropin(trace, plan);
  const effective = effectiveCmdlineOf(trace, 'full');
  // Our drop-in written: what grub-mkconfig will use must have the params.
  if (current === edited && !cmdlineSatisfies(effective, plan.kernelParams).ok) {
    throw new FatalError(`${host.name}: with ${GRUB_DROPIN} in place, grub-mkconfig would still give the kernel "${effective}"`, {
      hint: `check ${GRUB_DEFAULTS} and ${GRUB_DROPIN.slice(0, GRUB_DROPIN.lastIndexOf('/'))}/*.cfg on the node`,
    });
  }
  return { ...common, paramsPath: GRUB_DROPIN, defaults: current, edited, overrides: describeOverrides(trace) };
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

/** The params are the node's configuration: in the params file and on the entries it boots. */
export function isCommitted(plan: HostPlan, state: GrubState): boolean {
  return (
    state.edited === state.defaults &&
    !isTrialEntry(state.standing) &&
    !entryShortfall(plan, state, state.standing, 'default boot entry') &&
    !entryShortfall(plan, state, state.next, 'next boot entry') &&
    state.entriesShortfall === undefined
  );
}

/** The next boot, and only that one, starts the trial entry with the plan's params. */
export function isTrialArmed(plan: HostPlan, state: GrubState): boolean {
  return isTrialEntry(state.next) && !isTrialEntry(state.standing) && !entryShortfall(plan, state, state.next, 'trial entry');
}

/** Anything of a trial left on the node: its file, its entry in grub.cfg, a one-shot naming it. */
export function trialLeftovers(state: GrubState): string[] {
  const left: string[] = [];
  if (state.trialScript !== undefined) left.push(`remove ${state.trialPath}`);
  if (state.env.next_entry === TRIAL_ENTRY_ID) left.push(`clear next_entry=${TRIAL_ENTRY_ID} in ${state.commands.grubenvPath}`);
  if (state.method !== 'bls' && state.entries.some((e) => e.id === TRIAL_ENTRY_ID)) left.push(`drop the trial entry from ${state.commands.grubCfgPath}`);
  return left;
}

export async function runningCmdline(host: Host): Promise<string> {
  return ((await host.readFile('/proc/cmdline')) ?? '').trim();
}

/** Why the params are not the node's configuration after they were written (verify's diagnosis). */
export function committedError(host: Host, plan: HostPlan, state: GrubState): FatalError {
  if (state.edited !== state.defaults) {
    return new FatalError(`${host.name}: ${state.paramsPath} does not have the planned params after writing it`, {
      hint: 'something else on the node rewrites it (configuration management?); run with --dry-run to see the difference',
    });
  }
  if (isTrialEntry(state.standing)) {
    return new FatalError(`${host.name}: the default boot entry is the trial entry ${TRIAL_ENTRY_ID} (${state.standing?.chosenBy})`, {
      hint: `point GRUB_DEFAULT in ${GRUB_DEFAULTS} (or saved_entry) at the entry the node normally boots, then run again`,
    });
  }
  if (state.entriesShortfall) {
    return new FatalError(`${host.name}: after grubby --update-kernel=ALL, ${state.entriesShortfall}`, {
      hint: `check the entry's file in ${BLS_DIR} (grubby --info=ALL shows what GRUB boots), then run again`,
    });
  }
  const shortfall = entryShortfall(plan, state, state.standing, 'default boot entry') ?? entryShortfall(plan, state, state.next, 'next boot entry') ?? 'no boot entry';
  return new FatalError(`${host.name}: after ${state.commands.mkconfig.join(' ')}, ${shortfall}`, {
    hint: `that entry does not take GRUB_CMDLINE_LINUX (hand-written, e.g. in /etc/grub.d/40_custom like the paper's?): point GRUB_DEFAULT in ${GRUB_DEFAULTS} at a generated entry, or add the params to that entry, then run again`,
  });
}
