// A VF count change through sysfs goes through 0 (the kernel refuses non-zero over non-zero with
// EBUSY), which destroys every VF of the PF, those inside running containers too. So the plan
// names the containers that own VFs of the PF; the run stops there unless --allow-vf-resize is
// given, and then stops them, resizes, and starts them again on their VFs (same index, same PCI
// function, same netdev name; their MAC comes from lxc.net.0.hwaddr and mac-reset). A VF in use in
// the host namespace (enslaved to a bond, bridge or Open vSwitch, or up with an address) is no
// container's: the resize is refused, naming it, whatever the flag says.
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { parseLxcInfo } from '../parse/lxc-info.ts';
import type { SysfsSurvey } from './sysfs-survey.ts';

export interface VfOwners {
  /** Containers of the plan, running now, that own a VF of this PF. */
  containers: { name: string; vf: number }[];
  /** VFs outside the host namespace that no running planned container owns. */
  unknown: number[];
  /** VFs the host itself uses: what for ("enslaved to bond0", "up with 10.0.0.5/24"). */
  hostUse: { vf: number; netdev: string; use: string }[];
}

// $@ VF netdevs in this namespace. Prints "netdev flags master address" ("-" for none): flags from
// sysfs (IFF_UP is 0x1), the master's name from the master link (a bond, a bridge, ovs-system),
// the first address of global scope (a link-local address comes with any interface that is up).
const HOST_USE_SCRIPT = [
  'for d do',
  '  [ -e "/sys/class/net/$d" ] || continue',
  '  m=-; if [ -e "/sys/class/net/$d/master" ]; then m=$(basename "$(readlink "/sys/class/net/$d/master")"); fi',
  '  a=$(ip -o addr show dev "$d" scope global | awk \'{ print $4; exit }\')',
  '  echo "$d $(cat "/sys/class/net/$d/flags") $m ${a:--}"',
  'done',
].join('\n');

/** What the host uses VF netdevs of this namespace for, from HOST_USE_SCRIPT's lines. */
export function parseHostUse(text: string): Map<string, string> {
  const uses = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [netdev, flags, master, address] = line.trim().split(/\s+/);
    if (!netdev || flags === undefined || master === undefined || address === undefined) continue;
    const up = (Number(flags) & 0x1) !== 0;
    if (master !== '-') uses.set(netdev, master === 'ovs-system' ? 'a port of Open vSwitch' : `enslaved to ${master}`);
    else if (up && address !== '-') uses.set(netdev, `up with ${address}`);
  }
  return uses;
}

export async function hostUse(host: Host, sysfs: Pick<SysfsSurvey, 'vfs'>): Promise<VfOwners['hostUse']> {
  const here = sysfs.vfs.filter((v) => v.netdev !== null);
  if (here.length === 0) return [];
  const uses = parseHostUse((await host.run(['sh', '-c', HOST_USE_SCRIPT, 'sh', ...here.map((v) => v.netdev!)])).stdout);
  return here.flatMap((v) => {
    const use = uses.get(v.netdev!);
    return use === undefined ? [] : [{ vf: v.index, netdev: v.netdev!, use }];
  });
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
  return { containers, unknown: away.filter((i) => !containers.some((c) => c.vf === i)), hostUse: await hostUse(host, sysfs) };
}

export const describeOwners = (o: VfOwners): string =>
  [
    ...o.containers.map((c) => `${c.name} (VF ${c.vf})`),
    ...o.unknown.map((i) => `VF ${i} (in a namespace not in the inventory)`),
    ...o.hostUse.map((u) => `VF ${u.vf} (${u.netdev} in the host namespace, ${u.use})`),
  ].join(', ');
