// The GRUB_CMDLINE_LINUX method (CentOS 7, and any GRUB 2 whose grub-mkconfig does not read
// /etc/default/grub.d): the params go into /etc/default/grub, its original kept as a backup on the
// first change; grub.cfg is regenerated. The way back restores the backup when the file is as
// sriov-lxc left it, or takes only our params off a file the operator changed since (kept, named).
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { cmdlineTeardown, notOwnParams } from './cmdline-target.ts';
import { describeEdit, editGrubDefaults, effectiveCmdline, GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP, planEdit } from './grub-defaults.ts';
import { readGrubDefaults, writeGrubDefaults } from './grub-host.ts';
import { entryShortfall } from './grub-state.ts';
import { GRUB_MENU, finishGrubCommit, grubCommitTail } from './grub-menu.ts';
import type { BootConfig, BootMethod, Direction, ParamsFile } from './method.ts';
import { removeFile } from '../files/owned-files.ts';

/** /etc/default/grub as the direction leaves it (also the EL8 method's, whose grub2-mkconfig reads it). */
export async function grubDefaultsParamsFile(host: Host, plan: HostPlan, direction: Direction): Promise<ParamsFile> {
  const current = await readGrubDefaults(host);
  if (direction === 'add') {
    return { path: GRUB_DEFAULTS, current, target: editGrubDefaults(current, plan).text, edit: planEdit(plan), how: 'edit', backup: GRUB_DEFAULTS_BACKUP, notes: [] };
  }
  const t = cmdlineTeardown(current, await host.readFile(GRUB_DEFAULTS_BACKUP), plan);
  const edit = { add: t.add, remove: t.remove };
  if (t.how === 'nothing') return { path: GRUB_DEFAULTS, current, target: current, edit: notOwnParams(effectiveCmdline(current), plan.kernelParams), how: 'nothing', notes: [] };
  if (t.how === 'restore-backup') return { path: GRUB_DEFAULTS, current, target: t.target, edit, how: 'restore', backup: GRUB_DEFAULTS_BACKUP, notes: [] };
  return { path: GRUB_DEFAULTS, current, target: t.target, edit, how: 'strip', notes: [], kept: `changed since sriov-lxc wrote it: left in place without sriov-lxc's params ${t.remove.join(' ')} (the original is in ${GRUB_DEFAULTS_BACKUP})` };
}

async function describeCommit(host: Host, config: BootConfig): Promise<string[]> {
  const p = config.params;
  const lines: string[] = [];
  if (config.direction === 'remove') {
    if (p.current !== p.target) lines.push(`${p.path}: ${p.how === 'restore' ? `restore from ${GRUB_DEFAULTS_BACKUP}` : `take ${p.edit.remove.join(' ')} off (the file changed since sriov-lxc wrote it; the rest stays)`}`);
  } else if (p.current !== p.target) {
    lines.push(...describeEdit(p.current, p.edit).map((line) => `${GRUB_DEFAULTS}: ${line}`));
    if ((await host.readFile(GRUB_DEFAULTS_BACKUP)) === undefined) lines.push(`keep the original as ${GRUB_DEFAULTS_BACKUP}`);
  } else {
    const shortfall = entryShortfall(config, config.entries.standing, 'default boot entry') ?? entryShortfall(config, config.entries.next, 'next boot entry');
    if (shortfall) lines.push(`why: ${shortfall}`);
  }
  lines.push(...grubCommitTail(config));
  if (p.how === 'restore') lines.push(`remove ${GRUB_DEFAULTS_BACKUP}`);
  return lines;
}

export const grubDefaultsMethod: BootMethod = {
  ...GRUB_MENU,
  name: 'grub-defaults',
  reads: [{ file: GRUB_DEFAULTS }, { file: GRUB_DEFAULTS_BACKUP }],
  paramsFile: (host, plan, direction) => grubDefaultsParamsFile(host, plan, direction),
  describeCommit,
  async commit(host, config) {
    const p = config.params;
    if (p.current !== p.target) {
      if (config.direction === 'add') await writeGrubDefaults(host, p.current, p.target);
      else await host.writeFile(p.path, p.target, { mode: 0o644 });
    }
    const backupKept = p.how === 'restore' ? ` (${GRUB_DEFAULTS_BACKUP} is kept until grub.cfg is regenerated)` : ` (the original is in ${GRUB_DEFAULTS_BACKUP})`;
    await finishGrubCommit(host, config, `${GRUB_DEFAULTS} is already ${config.direction === 'add' ? 'edited' : 'restored'}${backupKept}`);
    // Last: the backup is what the restore is computed from.
    if (p.how === 'restore') await removeFile(host, GRUB_DEFAULTS_BACKUP);
  },
};
