// The node's NIC, read from its first PF's PCI id in sysfs, and the plan resolved for it
// (nic: auto): its drivers, VF creation method, kernel params and firmware step. Run once at the
// start of a host's run, before any stage, so every stage and every inputs hash sees one plan.
import type { Host } from '../../hosts/host.ts';
import { observe } from '../../hosts/observing-host.ts';
import { FatalError } from '../../core/errors.ts';
import { resolveNic } from '../../inventory/nic-resolve.ts';
import { nicOfPciId } from '../../inventory/nics.ts';
import type { HostPlan, NicModel } from '../../inventory/plan.ts';


export interface NicReading {
  /** The first planned PF found, with its "vendor:device". */
  pf: string;
  pciId: string;
  model: NicModel | undefined;
}

export async function readNic(host: Host, plan: HostPlan): Promise<NicReading | undefined> {
  const ids = (pf: string) => [`/sys/class/net/${pf}/device/vendor`, `/sys/class/net/${pf}/device/device`] as const;
  // Every PF's ids in one round trip; bios-verify reads the same files again from what came back.
  await observe(host, plan.pfs.flatMap((pf) => ids(pf.name).map((file) => ({ file }))));
  for (const pf of plan.pfs) {
    const [vendorFile, deviceFile] = ids(pf.name);
    const vendor = (await host.readFile(vendorFile))?.trim();
    const device = (await host.readFile(deviceFile))?.trim();
    if (!vendor || !device) continue;
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
