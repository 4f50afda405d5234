// Judgements on the node's boot configuration (read by boot-config.ts): what a boot must show,
// does an entry boot the edit, is the edit the node's configuration, is a trial armed, what did a
// trial leave over, and why a commit did not take. Pure, but for reading /proc/cmdline.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import { cmdlineSatisfies } from '../parse/cmdline.ts';
import type { BootEntry } from './boot-entry.ts';
import { leftOn } from './cmdline-target.ts';
import { GRUB_DEFAULTS } from './grub-defaults.ts';
import type { BootConfig, CmdlineEdit } from './method.ts';
import { TRIAL_ENTRY_ID } from './trial-entry.ts';

export type { BootConfig } from './method.ts';

/** What a boot must show: every param put on, and (teardown) none of those taken off. */
export function goalOf(config: Pick<BootConfig, 'direction' | 'params'>): CmdlineEdit {
  const { add, remove } = config.params.edit;
  return { add, remove: config.direction === 'remove' ? remove : [] };
}

/** What `cmdline` lacks of the goal, in words ("lacks a b (has c), still has d"); undefined when it fits. */
export function goalShortfall(cmdline: string, goal: CmdlineEdit): string | undefined {
  const check = cmdlineSatisfies(cmdline, goal.add);
  const still = leftOn(cmdline, goal.remove);
  const parts = [];
  if (!check.ok) parts.push(`lacks ${[...check.missing, ...check.conflicting.map((c) => `${c.param} (has ${c.found})`)].join(' ')}`);
  if (still.length > 0) parts.push(`still has ${still.join(' ')}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The goal in words: "with a b", "without c", for messages. */
export function describeGoal(goal: CmdlineEdit): string {
  return [goal.add.length > 0 ? `with ${goal.add.join(' ')}` : '', goal.remove.length > 0 ? `without ${goal.remove.join(' ')}` : ''].filter((s) => s !== '').join(', ') || 'as it is';
}

export function isTrialEntry(entry: BootEntry | undefined): boolean {
  return entry?.entry.id === TRIAL_ENTRY_ID;
}

/** What `entry` lacks of the goal, in words; undefined when it boots it. */
export function entryShortfall(config: BootConfig, entry: BootEntry | undefined, which: string): string | undefined {
  if (!entry) return `there is no ${config.commands.grubCfgPath}`;
  const short = goalShortfall(entry.entry.params ?? '', goalOf(config));
  return short ? `the ${which} "${entry.entry.title}" (${entry.chosenBy}) ${short}` : undefined;
}

/** The edit is the node's configuration: in the params file and on the entries it boots. */
export function isCommitted(config: BootConfig): boolean {
  const { standing, next } = config.entries;
  return (
    config.params.target === config.params.current &&
    (config.params.also === undefined || config.params.also.target === config.params.also.current) &&
    !isTrialEntry(standing) &&
    !entryShortfall(config, standing, 'default boot entry') &&
    !entryShortfall(config, next, 'next boot entry') &&
    config.entriesShortfall === undefined
  );
}

/** The next boot, and only that one, starts the trial entry with the edit. */
export function isTrialArmed(config: BootConfig): boolean {
  const { next, standing } = config.entries;
  return isTrialEntry(next) && !isTrialEntry(standing) && !entryShortfall(config, next, 'trial entry');
}

/** The trial's file and a one-shot naming it (every method), in words. */
export function trialFileLeftovers(config: BootConfig): string[] {
  const left: string[] = [];
  if (config.trialScript !== undefined) left.push(`remove ${config.method.trialPath}`);
  if (config.env.next_entry === TRIAL_ENTRY_ID) left.push(`clear next_entry=${TRIAL_ENTRY_ID} in ${config.commands.grubenvPath}`);
  return left;
}

export async function runningCmdline(host: Host): Promise<string> {
  return ((await host.readFile('/proc/cmdline')) ?? '').trim();
}

/** Why the edit is not the node's configuration after it was written (verify's diagnosis). */
export function committedError(host: Host, config: BootConfig): FatalError {
  const { params, entries } = config;
  if (params.target !== params.current) {
    return new FatalError(`${host.name}: ${params.path} does not have the ${config.direction === 'add' ? 'planned params' : 'params teardown leaves'} after writing it`, {
      hint: 'something else on the node rewrites it (configuration management?); run with --dry-run to see the difference',
    });
  }
  if (params.also && params.also.target !== params.also.current) {
    return new FatalError(`${host.name}: ${params.also.name} is not what the commit set ("${params.also.current}", not "${params.also.target}")`, {
      hint: 'something else on the node sets it (grub2-mkconfig regenerates kernelopts from GRUB_CMDLINE_LINUX, grubby edits it); run with --dry-run to see the difference',
    });
  }
  if (isTrialEntry(entries.standing)) {
    return new FatalError(`${host.name}: the default boot entry is the trial entry ${TRIAL_ENTRY_ID} (${entries.standing?.chosenBy})`, {
      hint: `point GRUB_DEFAULT in ${GRUB_DEFAULTS} (or saved_entry) at the entry the node normally boots, then run again`,
    });
  }
  if (config.entriesShortfall) {
    return new FatalError(`${host.name}: after ${config.method.name === 'bls' ? 'grubby --update-kernel=ALL' : 'the commit'}, ${config.entriesShortfall}`, {
      hint: 'check the entry\'s file in /boot/loader/entries (grubby --info=ALL shows what GRUB boots), then run again',
    });
  }
  const shortfall = entryShortfall(config, entries.standing, 'default boot entry') ?? entryShortfall(config, entries.next, 'next boot entry') ?? 'no boot entry';
  return new FatalError(`${host.name}: after ${config.commands.mkconfig.join(' ')}, ${shortfall}`, {
    hint: `that entry does not take GRUB_CMDLINE_LINUX (hand-written, e.g. in /etc/grub.d/40_custom like the paper's?): point GRUB_DEFAULT in ${GRUB_DEFAULTS} at a generated entry, or change that entry's params, then run again`,
  });
}
