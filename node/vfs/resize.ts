// A VF count change through sysfs goes through 0 (the kernel refuses non-zero over non-zero with
// EBUSY), which destroys every VF of the PF, those inside running containers too. So the plan
// names the containers that own VFs of the PF; the run stops there unless --allow-vf-resize is
// given, and then stops them, resizes, and starts them again on their VFs (same index, same PCI
// function, same netdev name; their MAC comes from lxc.net.0.hwaddr and mac-reset).
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { parseLxcInfo } from '../parse/lxc-info.ts';
import type { SysfsSurvey } from './sysfs-survey.ts';

export interface VfOwners {
  /** Containers of the plan, running now, that own a VF of this PF. */
  containers: { name: string; vf: number }[];
  /** VFs outside the host namespace that no running planned container owns. */
  unknown: number[];
}

async function running(host: Host, name: string): Promise<boolean> {
  const r = await host.exec(['lxc-info', '-n', name, '-s']);
  if (r.code !== 0) return false;
  try {
    return parseLxcInfo(r.stdout).state === 'RUNNING';
  } catch {
    return false;
  }
}

/** Who would lose a VF of `pf` if its VFs were destroyed now. */
export async function vfOwners(host: Host, plan: HostPlan, pf: string, sysfs: SysfsSurvey): Promise<VfOwners> {
  // A bound VF without a netdev in this namespace has been moved into a container.
  const away = sysfs.vfs.filter((v) => v.driver !== null && v.netdev === null).map((v) => v.index);
  const containers: VfOwners['containers'] = [];
  for (const c of plan.containers.filter((x) => x.vf.pf === pf && away.includes(x.vf.index))) {
    if (await running(host, c.name)) containers.push({ name: c.name, vf: c.vf.index });
  }
  return { containers, unknown: away.filter((i) => !containers.some((c) => c.vf === i)) };
}

export const describeOwners = (o: VfOwners): string =>
  [...o.containers.map((c) => `${c.name} (VF ${c.vf})`), ...o.unknown.map((i) => `VF ${i} (in a namespace not in the inventory)`)].join(', ');
