// The edit of /etc/default/grub: the plan's kernel params in GRUB_CMDLINE_LINUX, token by token,
// and nothing on the generated linux line that contradicts them. Pure.
import { maxVfsParams } from '../../inventory/kernel-params.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { cmdlineSatisfies, normalizeKey, parseCmdline, parseParam } from '../parse/cmdline.ts';
import type { EditResult } from '../parse/edit-result.ts';
import { grubVar, setCmdlineParams } from '../parse/grub-default.ts';
import type { CmdlineEdit, Direction } from './method.ts';

export const GRUB_DEFAULTS = '/etc/default/grub';
export const GRUB_DEFAULTS_BACKUP = '/etc/default/grub.sriov-lxc.bak';

/** Params the plan does not set but that contradict it; removed wherever they are. */
export function contradictingParams(plan: HostPlan): string[] {
  const params: string[] = [];
  // Passthrough mode belongs to `iommu: pt`; with the IOMMU off or fully on it says the opposite.
  if (plan.iommu !== 'pt') params.push('iommu=pt');
  // VFs made through sysfs: a left-over max_vfs would create them first (sriov_numvfs then says EBUSY).
  if (maxVfsParams(plan.driver, plan.pfs).length === 0) params.push(`${plan.driver.pfModule}.max_vfs`);
  return params;
}

/** What the generated normal boot entries pass to the kernel: GRUB_CMDLINE_LINUX, then _DEFAULT. */
export function effectiveCmdline(text: string): string {
  return [grubVar(text, 'GRUB_CMDLINE_LINUX'), grubVar(text, 'GRUB_CMDLINE_LINUX_DEFAULT')].filter((v) => typeof v === 'string' && v !== '').join(' ');
}

export function editGrubDefaults(text: string, plan: HostPlan): EditResult {
  const wanted = plan.kernelParams;
  const contradicting = contradictingParams(plan);
  const linux = setCmdlineParams(text, 'GRUB_CMDLINE_LINUX', wanted, contradicting);
  // GRUB_CMDLINE_LINUX_DEFAULT follows on the linux line, so its values win: drop the ones that
  // would override the plan (the operator's other params there stay).
  const overriding = cmdlineSatisfies(effectiveCmdline(linux.text), wanted).conflicting.map((c) => parseParam(c.param).key);
  const result = setCmdlineParams(linux.text, 'GRUB_CMDLINE_LINUX_DEFAULT', [], [...overriding, ...contradicting]);
  const check = cmdlineSatisfies(effectiveCmdline(result.text), wanted);
  if (!check.ok) {
    throw new FatalError(`editing ${GRUB_DEFAULTS} did not give the kernel ${[...check.missing, ...check.conflicting.map((c) => c.param)].join(' ')}`, {
      hint: `set GRUB_CMDLINE_LINUX in ${GRUB_DEFAULTS} to plain quoted params and run again`,
    });
  }
  return { text: result.text, changed: result.text !== text };
}

/**
 * How `current` params change with the edit, in words ("add ...", "... instead of ...", "remove
 * ..."): provisioning removes what contradicts the plan, teardown what provisioning put on.
 */
export function describeParamsEdit(current: string, edit: CmdlineEdit, direction: Direction): string[] {
  const now = cmdlineSatisfies(current, edit.add);
  const present = parseCmdline(current);
  const stale = edit.remove.filter((c) => {
    const p = parseParam(c);
    return present.some((q) => normalizeKey(q.key) === normalizeKey(p.key) && (p.value === null || q.value === p.value));
  });
  return [
    ...(now.missing.length > 0 ? [`add ${now.missing.join(' ')}`] : []),
    ...now.conflicting.map((c) => `set ${c.param} instead of ${c.found}`),
    ...(stale.length > 0 ? [`remove ${stale.join(' ')} (${direction === 'add' ? 'contradicts the plan' : 'put on by sriov-lxc'})`] : []),
  ];
}

/** Provisioning's edit of /etc/default/grub in words, for the plan of check. */
export function describeEdit(text: string, edit: CmdlineEdit): string[] {
  const lines = describeParamsEdit(effectiveCmdline(text), edit, 'add').map((line) => (line.startsWith('add ') ? `${line} to GRUB_CMDLINE_LINUX` : line));
  return lines.length > 0 ? lines : [`move ${edit.add.join(' ')} into GRUB_CMDLINE_LINUX`];
}

/** Provisioning's edit: the plan's params on, what contradicts them off. */
export function planEdit(plan: HostPlan): CmdlineEdit {
  return { add: plan.kernelParams, remove: contradictingParams(plan) };
}
