// Compares what the node shows for one PF (sysfs, lspci, the PF's VF table in `ip link`) with the
// plan, and says for each difference whether apply can fix it, whether it may still settle (VFs
// appear a moment after the driver loads) or whether only a person can.
import type { IpLink } from '../parse/ip-link.ts';
import type { PfPlan } from '../../inventory/plan.ts';
import type { SysfsSurvey } from './sysfs-survey.ts';

export type FindingKind =
  /** apply can fix it (vfCreation: sysfs, wrong count). */
  | 'fixable'
  /** may still change by itself: drivers loading, VFs appearing. */
  | 'settling'
  /** neither: a person has to act. */
  | 'fatal';

export interface Finding {
  kind: FindingKind;
  message: string;
  hint: string;
}

export interface PfObservation {
  plan: PfPlan;
  sysfs: SysfsSurvey;
  /** The PF as `ip link show` lists it (with its VF table); undefined when absent. */
  link: IpLink | undefined;
  /** PCI addresses lspci -Dnn lists as "Virtual Function"; null without lspci. */
  lspciVfs: ReadonlySet<string> | null;
  /** `<pfModule>.max_vfs` on /proc/cmdline, when there. */
  maxVfsParam: string | undefined;
  vfModule: string;
}

export interface VfReport {
  index: number;
  /** The VF's netdev in the host namespace; null when it is in a container (or not there yet). */
  netdev: string | null;
  pci: string;
  /** The VF's MAC as its PF reports it (its VF table), the authority for mac-reset. */
  mac: string | null;
}

export interface PfAssessment {
  name: string;
  findings: Finding[];
  vfs: VfReport[];
}

function countFindings(o: PfObservation): Finding[] {
  const { plan, sysfs } = o;
  const name = `${plan.name} (${sysfs.pci ?? 'unknown PCI address'})`;
  if (plan.vfs === 0 && (sysfs.numVfs ?? 0) === 0) return [];
  if (sysfs.totalVfs === null) {
    return [{
      kind: 'fatal',
      message: `${name} has no SR-IOV capability in sysfs (no sriov_totalvfs)`,
      hint: `check that ${plan.name} is an SR-IOV capable port and that its driver supports SR-IOV; lspci -vvv -s ${sysfs.pci ?? '<pci address>'} should list "Single Root I/O Virtualization"`,
    }];
  }
  if (sysfs.totalVfs < plan.vfs) {
    return [{
      kind: 'fatal',
      message: `${name} supports at most ${sysfs.totalVfs} VFs, the plan asks for ${plan.vfs}`,
      hint: sysfs.totalVfs === 0
        ? 'SR-IOV is disabled for this device: enable SR-IOV (and VT-d) in the BIOS/firmware setup, then reboot'
        : `lower pfs[].vfs for ${plan.name} in the inventory to at most ${sysfs.totalVfs}`,
    }];
  }
  const found = sysfs.numVfs ?? 0;
  if (found === plan.vfs) return [];
  if (plan.vfCreation === 'sysfs') {
    return [{ kind: 'fixable', message: `${name} has ${found} VFs, ${plan.vfs} planned`, hint: 'apply writes sriov_numvfs' }];
  }
  if (found > plan.vfs) {
    return [{
      kind: 'fatal',
      message: `${name} has ${found} VFs, ${plan.vfs} planned (vfCreation: max_vfs; ${o.maxVfsParam ?? 'no max_vfs on the kernel cmdline'})`,
      hint: 'the count comes from max_vfs on the kernel cmdline: run the kernel-cmdline and reboot stages again, or set pfs[].vfs to the count the node has',
    }];
  }
  const cmdline = o.maxVfsParam === undefined ? 'no max_vfs on the kernel cmdline' : `kernel cmdline: ${o.maxVfsParam}`;
  return [{
    kind: 'settling',
    message: `${name} has ${found} VFs, ${plan.vfs} planned (sriov_totalvfs ${sysfs.totalVfs}; ${cmdline})`,
    hint: 'fewer VFs than planned: likely causes are the device\'s limit (sriov_totalvfs), max_vfs on the kernel cmdline, SR-IOV or VT-d/ARI settings in the BIOS, or the PF driver refusing the count (dmesg | grep -i sriov)',
  }];
}

function vfFindings(o: PfObservation): Finding[] {
  const { plan, sysfs } = o;
  const findings: Finding[] = [];
  const vfs = sysfs.vfs.filter((v) => v.index < plan.vfs);
  if (vfs.length < Math.min(plan.vfs, sysfs.numVfs ?? 0)) {
    findings.push({
      kind: 'settling',
      message: `${plan.name}: sysfs lists ${vfs.length} virtfn links, sriov_numvfs says ${sysfs.numVfs}`,
      hint: `ls -l /sys/class/net/${plan.name}/device/ | grep virtfn`,
    });
  }
  const unbound = vfs.filter((v) => v.driver === null);
  if (unbound.length > 0) {
    findings.push({
      kind: 'settling',
      message: `${plan.name}: VF ${unbound.map((v) => v.index).join(', ')} not bound to ${o.vfModule} yet`,
      hint: `load the VF driver after the PF driver (modprobe ${o.vfModule}); lsmod | grep ${o.vfModule}; dmesg | grep -i ${o.vfModule}`,
    });
  }
  const foreign = vfs.filter((v) => v.driver !== null && v.driver !== o.vfModule);
  for (const v of foreign) {
    findings.push({
      kind: 'fatal',
      message: `${plan.name}: VF ${v.index} (${v.pci}) is bound to ${v.driver}, not ${o.vfModule}`,
      hint: `unbind it (echo ${v.pci} > /sys/bus/pci/drivers/${v.driver}/unbind) and load ${o.vfModule}, or set driver.vfModule in the inventory`,
    });
  }
  const unlisted = o.lspciVfs === null ? [] : vfs.filter((v) => !o.lspciVfs?.has(v.pci));
  if (unlisted.length > 0) {
    findings.push({
      kind: 'settling',
      message: `${plan.name}: lspci does not list ${unlisted.map((v) => v.pci).join(', ')} as Virtual Function`,
      hint: 'lspci -Dnn | grep -i "virtual function"',
    });
  }
  if (o.link === undefined) {
    findings.push({ kind: 'settling', message: `${plan.name} is not listed by ip link`, hint: 'ip link show; check the PF name in the inventory' });
  } else if (o.link.vfs.length < Math.min(plan.vfs, sysfs.numVfs ?? 0)) {
    findings.push({
      kind: 'settling',
      message: `${plan.name}: ip link lists ${o.link.vfs.length} VFs in its VF table, sysfs ${sysfs.numVfs}`,
      hint: `ip link show ${plan.name}`,
    });
  }
  return findings;
}

export function assessPf(o: PfObservation): PfAssessment {
  const { plan, sysfs } = o;
  if (!sysfs.found) {
    return {
      name: plan.name,
      vfs: [],
      findings: [{
        kind: 'settling',
        message: `${plan.name} not found (no /sys/class/net/${plan.name}/device)`,
        hint: 'check the PF name in the inventory against `ip link` on the node, and that its driver is loaded (lsmod)',
      }],
    };
  }
  const counts = countFindings(o);
  const findings = plan.vfs === 0 || counts.some((f) => f.kind !== 'settling') ? counts : [...counts, ...vfFindings(o)];
  const vfs = sysfs.vfs
    .filter((v) => v.index < plan.vfs)
    .map((v) => ({ index: v.index, netdev: v.netdev, pci: v.pci, mac: o.link?.vfs.find((i) => i.vf === v.index)?.mac ?? null }));
  return { name: plan.name, findings, vfs };
}
