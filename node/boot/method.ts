// A boot method: how this node gives its kernel its params (GRUB_CMDLINE_LINUX in
// /etc/default/grub, our /etc/default/grub.d drop-in, BLS entries through grubby). One interface,
// one file per implementation (method-*.ts), picked once per run by boot-method.ts. Each reads
// the file that carries the params as it is and as a direction leaves it (`add`: provisioning puts
// the plan's params on; `remove`: teardown takes off what provisioning put on), lists its boot
// entries, writes a trial entry GRUB boots once, commits the edit and names what a trial left over.
// The protocol around them (trial, reboot, commit) is the same for every method: cmdline-trio.ts.
import type { Read } from '../../hosts/observing-host.ts';
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import type { GrubMenuEntry } from '../parse/grub-cfg.ts';
import type { GrubCommands } from '../parse/os-release.ts';
import type { BootEntry } from './boot-entry.ts';

export type BootMethodName = 'bls' | 'bls-kernelopts' | 'grub-dropin' | 'grub-defaults';

/** add: provisioning (the plan's params on); remove: teardown (what provisioning put on, off). */
export type Direction = 'add' | 'remove';

/** Params put on the command line and params taken off it. */
export interface CmdlineEdit {
  add: readonly string[];
  remove: readonly string[];
}

/** The file that carries the params: as it is, and as the direction leaves it. */
export interface ParamsFile {
  path: string;
  /** As it is ('' when absent). */
  current: string;
  /** As the direction leaves it; '' for a file the commit removes (remove direction). */
  target: string;
  /** What the direction does to the command line. */
  edit: CmdlineEdit;
  /**
   * edit: provisioning's change; restore: back to the node's own (what sriov-lxc kept of it, or
   * our file removed); strip: the operator changed the file since, so only our params come out of
   * it and it is kept (reported); nothing: sriov-lxc never wrote it (or it is restored already).
   */
  how: 'edit' | 'restore' | 'strip' | 'nothing';
  /** A copy sriov-lxc kept of the node's original, removed once the restore is the default. */
  backup?: string;
  /** Other files that set the variables (noticed, in words). */
  notes: string[];
  /** how === 'strip': why the file stays, for the report. */
  kept?: string;
  /** A value the commit sets besides the file (EL8: kernelopts in grubenv), as it is and as the direction leaves it. */
  also?: ParamsValue;
}

/** One variable the commit sets besides the params file. */
export interface ParamsValue {
  /** In words, e.g. "kernelopts in /boot/grub2/grubenv". */
  name: string;
  current: string;
  target: string;
}

/** The boot entries, the way GRUB picks from them. */
export interface Entries {
  entries: GrubMenuEntry[];
  /** The entry the next boot starts, a one-shot next_entry included. */
  next: BootEntry | undefined;
  /** The entry every boot without a one-shot starts: the default, and the fallback of a trial. */
  standing: BootEntry | undefined;
  /** The default entry's own file, when the trial entry is a copy of it (BLS). */
  baseEntryFile?: string;
}

/** What the protocol knows of the node's boot configuration, read once per check, apply or verify. */
export interface BootConfig {
  method: BootMethod;
  direction: Direction;
  commands: GrubCommands;
  params: ParamsFile;
  cfg: string | undefined;
  grubenvText: string | undefined;
  env: Record<string, string>;
  entries: Entries;
  /** The trial entry's file as it is. */
  trialScript: string | undefined;
  /** An entry (the trial aside) that does not boot the edit; every entry must (BLS). */
  entriesShortfall: string | undefined;
}

export interface BootMethod {
  readonly name: BootMethodName;
  /** Which entries the commit changes, in words. */
  readonly covers: string;
  /** Where the trial entry lives. */
  readonly trialPath: string;
  /** What entries() and paramsFile() read on the node (the trial file aside), for one batched observation. */
  readonly reads: readonly Read[];
  /** Whether grub.cfg must be regenerated for a new entry to be listed. */
  readonly regenerates: boolean;
  entries(host: Host, commands: GrubCommands, cfg: string | undefined, env: Readonly<Record<string, string>>): Promise<Entries>;
  /** `grubenv`: its path and variables (EL8 keeps the params in kernelopts there). */
  paramsFile(host: Host, plan: HostPlan, direction: Direction, entries: Entries, grubenv: { path: string; env: Readonly<Record<string, string>> }): Promise<ParamsFile>;
  /** Every entry boots the edit (undefined), or the first that does not, in words (BLS); undefined where only the default counts. */
  entriesShortfall(config: Omit<BootConfig, 'entriesShortfall'>): string | undefined;
  /** The trial entry's file: the default entry with `params`. */
  renderTrial(config: BootConfig, base: BootEntry, params: string): string;
  /** Writes the trial file and makes it an entry GRUB lists (grub.cfg regenerated where needed). */
  placeTrial(host: Host, config: BootConfig, script: string, reread: () => Promise<BootConfig>, rebuild: (config: BootConfig) => string): Promise<BootConfig>;
  /** The commit in words (plan lines), and the params file's diff. */
  describeCommit(host: Host, config: BootConfig): Promise<string[]>;
  /** The edit becomes the node's configuration; the trial's leftovers go. Safe to repeat. */
  commit(host: Host, config: BootConfig): Promise<void>;
  /** What a trial left on the node, in words ("remove ...", "clear ..."). */
  leftovers(config: BootConfig): string[];
}
