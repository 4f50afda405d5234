// The EL8 method (Rocky/AlmaLinux/RHEL 8): Boot Loader Specification entries whose `options` line
// reads `$kernelopts` (and `$tuned_params`), which GRUB takes from grubenv at boot. grubenv's
// kernelopts is what every such entry, and every kernel installed later, boots (20-grub.install
// writes `options $kernelopts`); EL8's grub2-mkconfig sets it again from /etc/default/grub
// (`grub2-editenv - set kernelopts="root=… ro $GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT"`,
// rhboot/grub2 rhel-8 util/grub.d/10_linux.in), and grubby 8.40 edits both on --update-kernel=ALL
// (grubby-bls of grubby-8.40-48.el8). So the commit edits both, token by token: kernelopts through
// grub2-editenv (its first value kept as a backup) and GRUB_CMDLINE_LINUX (as the grub-defaults
// method does, with its backup), and the options line of any entry that does not read $kernelopts.
// grub2-mkconfig is not run: it would also rewrite root= from what grub2-probe finds. The entries,
// the trial entry (a BLS file of its own with the trial's params spelt out) and its leftovers are
// the bls method's. The way back restores both backups when nothing changed them since, or takes
// only our params off.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { editCmdline } from '../parse/cmdline.ts';
import { removeFile } from '../files/owned-files.ts';
import { leftOn } from './cmdline-target.ts';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP, describeEdit, describeParamsEdit, planEdit } from './grub-defaults.ts';
import { writeGrubDefaults } from './grub-host.ts';
import { goalOf, goalShortfall, trialFileLeftovers } from './grub-state.ts';
import { BLS_DIR, GRUBBY_INFO, blsMethod } from './method-bls.ts';
import { grubDefaultsParamsFile } from './method-grub-defaults.ts';
import type { BootConfig, BootMethod, CmdlineEdit, Direction, Entries, ParamsFile } from './method.ts';
import { TRIAL_ENTRY_ID } from './trial-entry.ts';

/** kernelopts as it was before sriov-lxc's first commit (the value, then a newline). */
export const KERNELOPTS_BACKUP = '/etc/default/grub.sriov-lxc.kernelopts.bak';

const KERNELOPTS = /(^|\s)\$kernelopts(\s|$)/;

/** An entry file's `options` value, or undefined when it has none. */
export function entryOptions(text: string): string | undefined {
  const line = text.split('\n').find((l) => /^options(\s|$)/.test(l));
  return line === undefined ? undefined : line.replace(/^options\s*/, '');
}

/** Whether an entry's options read grubenv's kernelopts. */
export const readsKernelopts = (text: string): boolean => KERNELOPTS.test(entryOptions(text) ?? '');

/** The entry file with its options line edited (an entry that reads $kernelopts is not touched). */
export function editEntryOptions(text: string, edit: CmdlineEdit): string {
  if (readsKernelopts(text)) return text;
  return text
    .split('\n')
    .map((l) => (/^options(\s|$)/.test(l) ? `options ${editCmdline(entryOptions(l) ?? '', edit.add, edit.remove).trim()}` : l))
    .join('\n');
}

const readBackup = (text: string | undefined): string | undefined => (text === undefined ? undefined : text.replace(/\n$/, ''));

/**
 * kernelopts as the direction leaves it. add: the edit on it. remove: the backup when kernelopts is
 * as provisioning left it (or restored already); else only the params provisioning put on come off.
 */
export function kerneloptsTarget(current: string, backup: string | undefined, direction: Direction, edit: CmdlineEdit, plan: CmdlineEdit): string {
  if (direction === 'add') return editCmdline(current.trim(), edit.add, edit.remove).trim();
  if (backup !== undefined && (current === backup || current.trim() === editCmdline(backup.trim(), plan.add, plan.remove).trim())) return backup;
  const present = leftOn(current, edit.remove);
  return present.length === 0 ? current : editCmdline(current.trim(), [], present).trim();
}

async function entries(host: Host, commands: Parameters<BootMethod['entries']>[1], cfg: string | undefined, env: Readonly<Record<string, string>>): Promise<Entries> {
  if (env.kernelopts === undefined) {
    throw new FatalError(`${host.name}: its boot entries read $kernelopts, but ${commands.grubenvPath} does not set kernelopts (GRUB then boots the fallback in ${commands.grubCfgPath})`, {
      hint: `set it the EL8 way: ${commands.mkconfig.join(' ')} (it writes kernelopts from GRUB_CMDLINE_LINUX), check \`grub2-editenv - list\`, then run again`,
    });
  }
  return blsMethod.entries(host, commands, cfg, env);
}

async function paramsFile(host: Host, plan: HostPlan, direction: Direction, _found: Entries, grubenv: { path: string; env: Readonly<Record<string, string>> }): Promise<ParamsFile> {
  const file = await grubDefaultsParamsFile(host, plan, direction);
  const current = grubenv.env.kernelopts ?? '';
  const backup = readBackup(await host.readFile(KERNELOPTS_BACKUP));
  const target = file.how === 'nothing' && backup === undefined ? current : kerneloptsTarget(current, backup, direction, file.edit, planEdit(plan));
  return { ...file, also: { name: `kernelopts in ${grubenv.path}`, current, target } };
}

/** The entries (the trial aside) that do not read $kernelopts and do not boot the goal yet: their files and texts. */
async function literalEntriesShort(host: Host, config: BootConfig): Promise<{ path: string; text: string }[]> {
  const goal = goalOf(config);
  const short: { path: string; text: string }[] = [];
  for (const e of config.entries.entries) {
    if (e.id === TRIAL_ENTRY_ID || !e.id || !/^[\w.+~-]+$/.test(e.id)) continue;
    const path = `${BLS_DIR}/${e.id}.conf`;
    const text = await host.readFile(path);
    if (text === undefined || readsKernelopts(text) || goalShortfall(e.params ?? '', goal) === undefined) continue;
    short.push({ path, text });
  }
  return short;
}

const restoresKernelopts = (config: BootConfig, backup: string | undefined): boolean => config.direction === 'remove' && backup !== undefined && config.params.also?.target === backup;

export const blsKerneloptsMethod: BootMethod = {
  ...blsMethod,
  name: 'bls-kernelopts',
  covers: 'every boot entry',
  // The entries' (grubby, /etc/default/grub) and paramsFile's: /etc/kernel/cmdline plays no part here.
  reads: [{ argv: GRUBBY_INFO }, { file: GRUB_DEFAULTS }, { file: GRUB_DEFAULTS_BACKUP }, { file: KERNELOPTS_BACKUP }],
  entries,
  paramsFile,
  async describeCommit(host, config) {
    const p = config.params;
    const also = p.also;
    const lines = [...trialFileLeftovers(config)];
    if (also && also.target !== also.current) {
      const restore = config.direction === 'remove' && also.target === readBackup(await host.readFile(KERNELOPTS_BACKUP));
      const change = restore ? `restore it from ${KERNELOPTS_BACKUP}` : config.direction === 'add' ? describeParamsEdit(also.current, p.edit, 'add').join(', ') || 'set it' : `take ${leftOn(also.current, p.edit.remove).join(' ')} off (it changed since sriov-lxc set it; the rest stays)`;
      lines.push(`${config.commands.editenv} ${config.commands.grubenvPath} set kernelopts=…: ${change} (every entry with $kernelopts, and every kernel installed later, boots it)`);
      if (config.direction === 'add' && (await host.readFile(KERNELOPTS_BACKUP)) === undefined) lines.push(`keep the current kernelopts as ${KERNELOPTS_BACKUP}`);
    }
    for (const e of await literalEntriesShort(host, config)) lines.push(`${e.path}: ${describeParamsEdit(entryOptions(e.text) ?? '', p.edit, config.direction).join(', ')} on its options line (it does not read $kernelopts)`);
    if (p.current !== p.target) {
      if (config.direction === 'add') {
        lines.push(...describeEdit(p.current, p.edit).map((line) => `${p.path}: ${line} (grub2-mkconfig sets kernelopts from it)`));
        if ((await host.readFile(GRUB_DEFAULTS_BACKUP)) === undefined) lines.push(`keep the original as ${GRUB_DEFAULTS_BACKUP}`);
      } else {
        lines.push(`${p.path}: ${p.how === 'restore' ? `restore from ${GRUB_DEFAULTS_BACKUP}` : `take ${p.edit.remove.join(' ')} off (the file changed since sriov-lxc wrote it; the rest stays)`}`);
      }
    }
    if (p.how === 'restore') lines.push(`remove ${GRUB_DEFAULTS_BACKUP}`);
    if (restoresKernelopts(config, readBackup(await host.readFile(KERNELOPTS_BACKUP)))) lines.push(`remove ${KERNELOPTS_BACKUP}`);
    return lines;
  },
  async commit(host, config) {
    const p = config.params;
    const { editenv, grubenvPath } = config.commands;
    // The trial entry first: it is a file of its own, not an entry the edit is for.
    if (config.trialScript !== undefined) await host.run(['rm', '-f', blsMethod.trialPath]);
    if (config.env.next_entry === TRIAL_ENTRY_ID) await host.run([editenv, grubenvPath, 'unset', 'next_entry']);
    const backup = readBackup(await host.readFile(KERNELOPTS_BACKUP));
    if (p.also && p.also.target !== p.also.current) {
      if (config.direction === 'add' && backup === undefined) await host.writeFile(KERNELOPTS_BACKUP, `${p.also.current}\n`, { mode: 0o600 });
      await host.run([editenv, grubenvPath, 'set', `kernelopts=${p.also.target}`]);
    }
    for (const e of await literalEntriesShort(host, config)) await host.writeFile(e.path, editEntryOptions(e.text, p.edit), { mode: 0o644 });
    if (p.current !== p.target) {
      if (config.direction === 'add') await writeGrubDefaults(host, p.current, p.target);
      else await host.writeFile(p.path, p.target, { mode: 0o644 });
    }
    // Last: the backups are what the restore is computed from.
    if (restoresKernelopts(config, backup)) await removeFile(host, KERNELOPTS_BACKUP);
    if (p.how === 'restore') await removeFile(host, GRUB_DEFAULTS_BACKUP);
  },
};
