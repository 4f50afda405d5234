// What teardown does to the kernel command line, from /etc/default/grub and the backup that
// kernel-cmdline kept of it (written before the first change, so it is the node's original): the
// params provisioning put on (and took off) are the difference between the backup's effective
// cmdline and the backup as provisioning edits it. Pure.
import type { HostPlan } from '../../inventory/plan.ts';
import { formatParam, normalizeKey, parseCmdline, parseParam } from '../parse/cmdline.ts';
import { setCmdlineParams } from '../parse/grub-default.ts';
import { editGrubDefaults, effectiveCmdline } from './grub-defaults.ts';

export interface CmdlineTeardown {
  /**
   * restore-backup: /etc/default/grub is as provisioning left it (or already restored): the backup
   * goes back and is removed. remove-params: the operator changed it since: the params
   * provisioning added are taken off it token by token, the rest of the file and the backup kept.
   * nothing: there is no backup, so sriov-lxc never wrote /etc/default/grub.
   */
  how: 'restore-backup' | 'remove-params' | 'nothing';
  /** /etc/default/grub as teardown leaves it. */
  target: string;
  /** Params provisioning put on the cmdline: taken off. */
  remove: string[];
  /** Params provisioning took off the cmdline (they contradicted the plan): put back (restore-backup only). */
  add: string[];
}

const tokens = (cmdline: string): string[] => parseCmdline(cmdline).map(formatParam);

export function cmdlineTeardown(current: string, backup: string | undefined, plan: HostPlan): CmdlineTeardown {
  if (backup === undefined) return { how: 'nothing', target: current, remove: [], add: [] };
  const edited = editGrubDefaults(backup, plan).text;
  const before = tokens(effectiveCmdline(backup));
  const after = tokens(effectiveCmdline(edited));
  const remove = after.filter((t) => !before.includes(t));
  const add = before.filter((t) => !after.includes(t));
  if (current === edited || current === backup) return { how: 'restore-backup', target: backup, remove, add };
  const linux = setCmdlineParams(current, 'GRUB_CMDLINE_LINUX', [], remove).text;
  return { how: 'remove-params', target: setCmdlineParams(linux, 'GRUB_CMDLINE_LINUX_DEFAULT', [], remove).text, remove, add: [] };
}

/** The params of `remove` still on `cmdline`. */
export function leftOn(cmdline: string, remove: readonly string[]): string[] {
  const present = parseCmdline(cmdline);
  return remove.filter((r) => {
    const p = parseParam(r);
    return present.some((q) => normalizeKey(q.key) === normalizeKey(p.key) && (!r.includes('=') || q.value === p.value));
  });
}

/**
 * What teardown expects when nothing of sriov-lxc is left to read (no backup, no drop-in): the
 * plan's params that the node's own command line does not have stay off.
 */
export function notOwnParams(own: string, params: readonly string[]): { add: string[]; remove: string[] } {
  return { add: [], remove: params.filter((p) => leftOn(own, [p]).length === 0) };
}
