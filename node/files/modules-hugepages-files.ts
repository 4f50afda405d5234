// The contents modules-hugepages wants in each config file, computed from the plan and the file's
// current text (pure, so the plan/diff of check and the writes of apply are the same thing).
import { maxVfsParams } from '../../inventory/kernel-params.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan, HugepagesPlan } from '../../inventory/plan.ts';
import { findFstabEntry, formatFstabEntry, parseFstab } from '../parse/fstab.ts';
import { ensureLines, removeOwnedBlock } from '../parse/lines-file.ts';

export const MODULES_LOAD = '/etc/modules-load.d/sriov-lxc.conf';
export const MODPROBE_OPTIONS = '/etc/modprobe.d/sriov-lxc.conf';
export const SYSCTL_HUGEPAGES = '/etc/sysctl.d/80-sriov-lxc-hugepages.conf';
export const FSTAB = '/etc/fstab';
export const FSTAB_BLOCK = 'hugepages';

/** One file: its text now and the text it must have (undefined: absent). */
export interface FileState {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

export const changed = (f: FileState): boolean => f.before !== f.after;

/** modules-load.d: the PF driver, then the VF driver (systemd-modules-load loads them in file order). */
export function modulesLoadText(plan: HostPlan): string {
  // The paper's `echo "ixgbevf\nixgbe" >>` wrote a literal "\n" (echo has no escapes) and put ixgbevf first.
  const { pfModule, vfModule } = plan.driver;
  // mlx5_core drives its VFs itself: one line.
  const modules = pfModule === vfModule ? pfModule : `${pfModule}\n${vfModule}`;
  return `# Written by sriov-lxc: the SR-IOV NIC drivers, the PF driver before the VF driver.\n${modules}\n`;
}

/**
 * modprobe.d options for the VF counts set through max_vfs. The kernel-cmdline param
 * (`ixgbe.max_vfs=8,8`, which modprobe also reads from /proc/cmdline) covers boots and a driver
 * in the initramfs; this file keeps the VFs when the driver is reloaded by hand, where the cmdline
 * param may already be gone. Both carry the same value. Undefined: no PF uses max_vfs.
 */
export function modprobeOptionsText(plan: HostPlan): string | undefined {
  const [param] = maxVfsParams(plan.driver, plan.pfs);
  if (param === undefined) return undefined;
  const option = param.slice(`${plan.driver.pfModule}.`.length);
  return `# Written by sriov-lxc: VFs per port, also when the driver is reloaded without a reboot.\noptions ${plan.driver.pfModule} ${option}\n`;
}

/** sysctl.d for 2 MB pages; 1 GB pages are reserved by `hugepages=N` on the kernel cmdline instead. */
export function sysctlText(hugepages: HugepagesPlan | undefined): string | undefined {
  if (!hugepages || hugepages.size !== '2M') return undefined;
  // The paper's `vm.nr_hugepagesz=2M` is not a sysctl (there is no such file under /proc/sys/vm).
  return `# Written by sriov-lxc: ${hugepages.size} huge pages reserved at boot.\nvm.nr_hugepages = ${hugepages.count}\n`;
}

export function fstabLine(hugepages: HugepagesPlan): string {
  return formatFstabEntry({ spec: 'hugetlbfs', file: hugepages.mount, vfstype: 'hugetlbfs', mntops: [`pagesize=${hugepages.size}`], freq: 0, passno: 0 });
}

/**
 * /etc/fstab with our managed block holding the hugetlbfs line; every other line kept. A line of
 * the operator's own that mounts a hugetlbfs of the same page size there already is kept instead
 * (a second line would stack two mounts); any other file system on that mount point is an error.
 */
export function fstabText(current: string, hugepages: HugepagesPlan | undefined): string {
  const without = removeOwnedBlock(current, FSTAB_BLOCK).text;
  if (!hugepages) return without;
  // The paper's `echo "huge /mnt/huge" hugetlbfs defaults 0 0` printed the line and never wrote fstab.
  const theirs = findFstabEntry(parseFstab(without), hugepages.mount);
  if (!theirs) return ensureLines(current, [fstabLine(hugepages)], { ownedBlock: FSTAB_BLOCK }).text;
  // Without pagesize= a hugetlbfs has the default size, which the cmdline sets to the planned one.
  const pagesize = theirs.mntops.find((o) => o.startsWith('pagesize='));
  if (theirs.vfstype === 'hugetlbfs' && (pagesize === undefined || pagesize === `pagesize=${hugepages.size}`)) return without;
  throw new FatalError(`/etc/fstab already mounts ${theirs.vfstype} (${theirs.mntops.join(',')}) on ${hugepages.mount}`, {
    hint: `choose another hugepages.mount in the inventory, or remove that line from /etc/fstab`,
  });
}

/** Every file the stage manages, with its wanted content, given how each one reads now. */
export function wantedFiles(plan: HostPlan, read: (path: string) => string | undefined): FileState[] {
  const file = (path: string, after: string | undefined): FileState => ({ path, before: read(path), after });
  const fstab = read(FSTAB);
  return [
    file(MODULES_LOAD, modulesLoadText(plan)),
    file(MODPROBE_OPTIONS, modprobeOptionsText(plan)),
    file(SYSCTL_HUGEPAGES, sysctlText(plan.hugepages)),
    file(FSTAB, fstab === undefined && !plan.hugepages ? undefined : fstabText(fstab ?? '', plan.hugepages)),
  ];
}
