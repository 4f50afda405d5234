// The Boot Loader Specification method (EL9, and EL8 through grubby): every entry in
// /boot/loader/entries carries its own `options` line; grubby edits them all, and
// /etc/kernel/cmdline is what kernel-install gives a kernel installed later. Nothing is generated:
// the trial entry is a BLS file of its own (a copy of the default entry's), which blscfg lists at
// boot. The first commit keeps /etc/kernel/cmdline's original as a backup; the way back takes off
// what provisioning put on (and puts back what it took off), computed from that backup.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { editCmdline, formatParam, parseCmdline } from '../parse/cmdline.ts';
import { grubVar } from '../parse/grub-default.ts';
import type { GrubMenuEntry } from '../parse/grub-cfg.ts';
import { grubbyParams, parseGrubbyInfo } from '../parse/grubby-info.ts';
import { removeFile } from '../files/owned-files.ts';
import { leftOn, notOwnParams } from './cmdline-target.ts';
import { nextBootEntry } from './boot-entry.ts';
import { GRUB_DEFAULTS, describeParamsEdit, planEdit } from './grub-defaults.ts';
import { clearNextEntry, pinDefaultEntry, removeTrialScript, updateAllBlsEntries, writeTrialScript } from './grub-host.ts';
import { entryShortfall, goalOf, goalShortfall, trialFileLeftovers } from './grub-state.ts';
import type { BootConfig, BootMethod, CmdlineEdit, Direction, Entries, ParamsFile } from './method.ts';
import { BLS_TRIAL_FILE, TRIAL_ENTRY_ID, renderBlsTrial } from './trial-entry.ts';

export const BLS_DIR = '/boot/loader/entries';
export const KERNEL_CMDLINE = '/etc/kernel/cmdline';
export const KERNEL_CMDLINE_BACKUP = '/etc/kernel/cmdline.sriov-lxc.bak';
export const GRUBBY_INFO: readonly string[] = ['grubby', '--info=ALL'];

const safeId = (id: string | null | undefined): id is string => typeof id === 'string' && /^[\w.+~-]+$/.test(id);
const tokens = (cmdline: string): string[] => parseCmdline(cmdline).map(formatParam);

/** The BLS entries as grubby lists them, in the shape of grub.cfg's menu entries. */
async function blsEntries(host: Host): Promise<GrubMenuEntry[]> {
  const info = await host.run(GRUBBY_INFO);
  return parseGrubbyInfo(info.stdout).map((e) => ({ title: e.title, id: e.id, index: e.index, submenus: [], kernel: e.kernel, params: grubbyParams(e) }));
}

async function entries(host: Host, _commands: unknown, cfg: string | undefined, env: Readonly<Record<string, string>>): Promise<Entries> {
  const list = await blsEntries(host);
  const grubDefault = grubVar((await host.readFile(GRUB_DEFAULTS)) ?? 'GRUB_DEFAULT=saved\n', 'GRUB_DEFAULT');
  const where = `${BLS_DIR} (grubby --info=ALL)`;
  const withoutOneShot = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'next_entry'));
  const standing = nextBootEntry(list, where, cfg, grubDefault, withoutOneShot);
  const baseEntryFile = safeId(standing.entry.id) ? await host.readFile(`${BLS_DIR}/${standing.entry.id}.conf`) : undefined;
  return { entries: list, standing, next: nextBootEntry(list, where, cfg, grubDefault, env), ...(baseEntryFile === undefined ? {} : { baseEntryFile }) };
}

async function paramsFile(host: Host, plan: HostPlan, direction: Direction, found: Entries): Promise<ParamsFile> {
  const file = await host.readFile(KERNEL_CMDLINE);
  const current = file ?? '';
  const own = file?.trim() ?? found.standing?.entry.params ?? '';
  const edit = planEdit(plan);
  if (direction === 'add') return { path: KERNEL_CMDLINE, current, target: `${editCmdline(own, edit.add, edit.remove).trim()}\n`, edit, how: 'edit', backup: KERNEL_CMDLINE_BACKUP, notes: [] };
  const backup = await host.readFile(KERNEL_CMDLINE_BACKUP);
  if (backup === undefined) {
    // No backup (nothing of sriov-lxc here, a finished teardown, or a node provisioned before
    // sriov-lxc kept one): the plan's params the default entry still has come off.
    const present = leftOn(found.standing?.entry.params ?? '', plan.kernelParams);
    if (present.length === 0) return { path: KERNEL_CMDLINE, current, target: current, edit: notOwnParams(own, plan.kernelParams), how: 'nothing', notes: [] };
    return { path: KERNEL_CMDLINE, current, target: file === undefined ? '' : `${editCmdline(own, [], present).trim()}\n`, edit: { add: [], remove: present }, how: 'restore', notes: [] };
  }
  const provisioned = `${editCmdline(backup.trim(), edit.add, edit.remove).trim()}\n`;
  const back: CmdlineEdit = { remove: tokens(provisioned).filter((t) => !tokens(backup).includes(t)), add: tokens(backup).filter((t) => !tokens(provisioned).includes(t)) };
  if (current === provisioned || current === backup) return { path: KERNEL_CMDLINE, current, target: backup, edit: back, how: 'restore', backup: KERNEL_CMDLINE_BACKUP, notes: [] };
  return {
    path: KERNEL_CMDLINE,
    current,
    target: `${editCmdline(current.trim(), [], back.remove).trim()}\n`,
    edit: { add: [], remove: back.remove },
    how: 'strip',
    notes: [],
    kept: `changed since sriov-lxc wrote it: left in place without sriov-lxc's params ${back.remove.join(' ')} (the original is in ${KERNEL_CMDLINE_BACKUP})`,
  };
}

/** The first entry (the trial aside) that does not boot the goal: every entry must. */
function entriesShortfall(config: Omit<BootConfig, 'entriesShortfall'>): string | undefined {
  const goal = goalOf(config);
  for (const e of config.entries.entries) {
    if (e.id === TRIAL_ENTRY_ID) continue;
    const short = goalShortfall(e.params ?? '', goal);
    if (short) return `the boot entry "${e.title}" (${BLS_DIR}/${e.id}.conf) ${short}`;
  }
  return undefined;
}

export const blsMethod: BootMethod = {
  name: 'bls',
  reads: [{ argv: GRUBBY_INFO }, { file: GRUB_DEFAULTS }, { file: KERNEL_CMDLINE }, { file: KERNEL_CMDLINE_BACKUP }],
  covers: 'every boot entry',
  trialPath: BLS_TRIAL_FILE,
  regenerates: false,
  entries,
  paramsFile,
  entriesShortfall,
  renderTrial(config, base, params) {
    if (config.entries.baseEntryFile === undefined) {
      throw new FatalError(`no trial boot possible: the default entry's file ${BLS_DIR}/${base.entry.id ?? '?'}.conf cannot be read`, {
        hint: 'set trialBoot: false for this host in the inventory (or run with --no-trial-boot): the params then go straight into every entry, without the automatic fallback',
      });
    }
    return renderBlsTrial(base.entry.title, config.entries.baseEntryFile, params);
  },
  async placeTrial(host, config, script) {
    // GRUB_DEFAULT=saved with no saved_entry boots the first entry: pin the default by its id so
    // that the trial entry, wherever blscfg sorts it, is booted only by the one-shot.
    const baseId = config.entries.standing?.entry.id;
    if (!config.env.saved_entry && baseId) await pinDefaultEntry(host, config.commands, baseId);
    if (script !== config.trialScript) await writeTrialScript(host, BLS_TRIAL_FILE, script);
    return config;
  },
  async describeCommit(_host, config) {
    const p = config.params;
    const lines = [...trialFileLeftovers(config)];
    if (config.entriesShortfall || entryShortfall(config, config.entries.standing, 'default boot entry')) {
      const change = describeParamsEdit(config.entries.standing?.entry.params ?? '', p.edit, config.direction).join(', ') || `set ${p.edit.add.join(' ')}`;
      lines.push(`grubby --update-kernel=ALL: ${change} on every boot entry`);
    }
    // A restore without the copy (a node provisioned before sriov-lxc kept one) takes ours off the file.
    const fromCopy = p.how === 'restore' && p.backup !== undefined;
    if (p.target !== p.current) {
      lines.push(fromCopy ? `${p.path}: restore from ${KERNEL_CMDLINE_BACKUP}` : `${p.path}: ${describeParamsEdit(p.current, p.edit, config.direction).join(', ') || 'write it'} (kernels installed later take it)`);
    }
    if (fromCopy) lines.push(`remove ${KERNEL_CMDLINE_BACKUP}`);
    return lines;
  },
  async commit(host, config) {
    const p = config.params;
    // The trial entry first: grubby --update-kernel=ALL would edit it too.
    if (config.trialScript !== undefined) await removeTrialScript(host, BLS_TRIAL_FILE);
    if (config.env.next_entry === TRIAL_ENTRY_ID) await clearNextEntry(host, config.commands);
    await updateAllBlsEntries(host, p.edit.add, p.edit.remove);
    if (config.direction === 'add' && p.current !== '' && (await host.readFile(KERNEL_CMDLINE_BACKUP)) === undefined) {
      await host.writeFile(KERNEL_CMDLINE_BACKUP, p.current, { mode: 0o644 });
    }
    if (p.target !== p.current) await host.writeFile(KERNEL_CMDLINE, p.target, { mode: 0o644 });
    if (p.how === 'restore' && p.backup !== undefined) await removeFile(host, KERNEL_CMDLINE_BACKUP);
  },
  leftovers: trialFileLeftovers,
};
