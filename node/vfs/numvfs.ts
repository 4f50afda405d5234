// How many VFs the planned PFs have now (sriov_numvfs), for teardown: none may be left after its boot.
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';

/** PF → VFs it has now, for the planned PFs that have any. */
export async function vfsNow(host: Host, plan: HostPlan): Promise<{ pf: string; vfs: number }[]> {
  const out = [];
  for (const pf of plan.pfs) {
    const n = Number.parseInt((await host.readFile(`/sys/class/net/${pf.name}/device/sriov_numvfs`)) ?? '0', 10);
    if (n > 0) out.push({ pf: pf.name, vfs: n });
  }
  return out;
}

export const describeVfs = (vfs: readonly { pf: string; vfs: number }[]): string => vfs.map((v) => `${v.pf} has ${v.vfs} VFs`).join(', ');
