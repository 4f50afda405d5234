// The node's NIC, read from its first PF's PCI id in sysfs, and the plan resolved for it
// (nic: auto): its drivers, VF creation method, kernel params and firmware step. Run once at the
// start of a host's run, before any stage, so every stage and every inputs hash sees one plan.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import { resolveNic } from '../../inventory/nic-resolve.ts';
import { nicOfPciId } from '../../inventory/nics.ts';
import type { HostPlan, NicModel } from '../../inventory/plan.ts';

// The PF name is "$1": no value is pasted into the script. Prints "VENDOR DEVICE" or nothing.
const READ_IDS = 'd=/sys/class/net/$1/device; [ -r "$d/vendor" ] && [ -r "$d/device" ] && echo "$(cat "$d/vendor") $(cat "$d/device")"';

export interface NicReading {
  /** The first planned PF found, with its "vendor:device". */
  pf: string;
  pciId: string;
  model: NicModel | undefined;
}

export async function readNic(host: Host, plan: HostPlan): Promise<NicReading | undefined> {
  for (const pf of plan.pfs) {
    const result = await host.exec(['sh', '-c', READ_IDS, 'sh', pf.name]);
    const [vendor, device] = result.stdout.trim().split(/\s+/);
    if (result.code !== 0 || !vendor || !device) continue;
    const pciId = `${vendor.replace(/^0x/, '')}:${device.replace(/^0x/, '')}`;
    return { pf: pf.name, pciId, model: nicOfPciId(vendor, device) };
  }
  return undefined;
}

/**
 * The plan for this node's NIC. A pinned nic is kept; with nic: auto an unknown NIC or a PF not
 * found keeps the inventory's plan (bios-verify then says what it found).
 */
export async function resolvePlanForNode(host: Host, plan: HostPlan): Promise<HostPlan> {
  if (plan.nic.setting !== 'auto') return plan;
  const reading = await readNic(host, plan);
  if (!reading?.model) return plan;
  const { plan: resolved, problems } = resolveNic(plan, reading.model);
  if (problems.length > 0) {
    throw new FatalError(`${host.name}: ${reading.pf} is a ${reading.model} NIC (${reading.pciId}), and the inventory does not fit it:\n- ${problems.join('\n- ')}`, {
      hint: 'fix the named fields for this host in the inventory, or pin the NIC with nic: <model>',
    });
  }
  return resolved;
}
