// One physical function as the node sees it: its netdev, PCI address, NIC model, driver and
// SR-IOV capability (sysfs `sriov_totalvfs`, the TotalVFs of the device's SR-IOV capability,
// which the PCI core reports as 0 when the BIOS left SR-IOV off).
import { posix } from 'node:path';
import type { Host } from '../../hosts/host.ts';
import { observe, type Read } from '../../hosts/observing-host.ts';
import { nicOfPciId } from '../../inventory/nics.ts';
import type { NicModel, PfPlan } from '../../inventory/plan.ts';
import { findPciDevice, parseLspci, type PciDevice } from '../parse/lspci.ts';
import type { Problem } from './findings.ts';

export interface PfFacts {
  name: string;
  pci: string;
  /** "8086:1572"; the NIC model the tool knows it as (null: not one it knows). */
  pciId: string | null;
  nic: NicModel | null;
  /** "Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection [8086:10fb]"; null without lspci. */
  model: string | null;
  totalVfs: number;
  /** The bound driver ("ixgbe"), null when none is bound. */
  driver: string | null;
  /** A NIC whose firmware gates SR-IOV and has it off or too low now (nic-firmware sets it). */
  firmwareOff?: boolean;
}

export type PfReading = { facts: PfFacts; problem?: undefined } | { facts?: undefined; problem: Problem };

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

async function linkTarget(host: Host, path: string): Promise<string | undefined> {
  const result = await host.exec(['readlink', path]);
  return result.code === 0 && result.stdout.trim() !== '' ? result.stdout.trim() : undefined;
}

const lspciArgv = (pci: string): string[] => ['lspci', '-Dnn', '-s', pci];

/** What readPf reads of each PF in sysfs, for one batched observation (observing-host.ts); lspci: observePfModels. */
export function pfReads(pfs: readonly Pick<PfPlan, 'name'>[]): Read[] {
  return [
    ...pfs.flatMap((pf) => {
      const sys = `/sys/class/net/${pf.name}`;
      return [{ argv: ['readlink', `${sys}/device`] }, { file: `${sys}/device/sriov_totalvfs` }, { argv: ['readlink', `${sys}/device/driver`] }, { file: `${sys}/device/vendor` }, { file: `${sys}/device/device` }];
    }),
  ];
}

/** Each PF's `lspci -Dnn -s <pci>`, in one round trip, once pfReads are observed (the PCI addresses come from sysfs). */
export async function observePfModels(host: Host, pfs: readonly Pick<PfPlan, 'name'>[]): Promise<void> {
  const pcis = await Promise.all(pfs.map(async (pf) => posix.basename((await linkTarget(host, `/sys/class/net/${pf.name}/device`)) ?? '')));
  await observe(host, pcis.filter((pci) => PCI_ADDRESS.test(pci)).map((pci) => ({ argv: lspciArgv(pci) })));
}

/** The device as `lspci -Dnn -s <pci>` shows it; null when lspci is not installed or shows nothing. */
async function lspciDevice(host: Host, pci: string): Promise<PciDevice | null> {
  const result = await host.exec(lspciArgv(pci));
  if (result.code !== 0) return null;
  return findPciDevice(parseLspci(result.stdout), pci) ?? null;
}

/**
 * `netdevs`: the names in /sys/class/net, to tell a misspelt PF from a missing device.
 * `firmwareGated`: the NIC's firmware gates SR-IOV (the plan has a nic-firmware step), so no or too
 * small a capability now is what that step changes, not a fault.
 */
export async function readPf(host: Host, pf: PfPlan, netdevs: readonly string[], firmwareGated = false): Promise<PfReading> {
  const sys = `/sys/class/net/${pf.name}`;
  if (!netdevs.includes(pf.name)) {
    return {
      problem: {
        message: `PF ${pf.name} not found: there is no ${sys} (interfaces: ${netdevs.join(', ') || 'none'})`,
        hint: `fix pfs[].name in the inventory (\`ip -br link\` on the node lists the names), or load the NIC's driver`,
      },
    };
  }
  const device = await linkTarget(host, `${sys}/device`);
  const pci = device === undefined ? undefined : posix.basename(device);
  if (pci === undefined || !PCI_ADDRESS.test(pci)) {
    return {
      problem: {
        message: `${pf.name} is not a PCI device (${device === undefined ? 'a virtual interface' : `its device is ${device}`})`,
        hint: `name a port of the SR-IOV NIC in pfs[].name, not a bridge, bond, VLAN or virtual NIC`,
      },
    };
  }
  const totalText = await host.readFile(`${sys}/device/sriov_totalvfs`);
  const totalVfs = totalText === undefined ? undefined : Number.parseInt(totalText.trim(), 10);
  const driver = await linkTarget(host, `${sys}/device/driver`);
  const listed = await lspciDevice(host, pci);
  // the PCI id from sysfs, else from lspci
  const vendor = (await host.readFile(`${sys}/device/vendor`))?.trim().replace(/^0x/, '') ?? listed?.vendorId;
  const deviceId = (await host.readFile(`${sys}/device/device`))?.trim().replace(/^0x/, '') ?? listed?.deviceId;
  const pciId = vendor && deviceId ? `${vendor}:${deviceId}` : null;
  const nic = vendor && deviceId ? (nicOfPciId(vendor, deviceId) ?? null) : null;
  const facts = async (total: number, firmwareOff = false): Promise<PfReading> => ({
    facts: {
      name: pf.name,
      pci,
      pciId,
      nic,
      model: listed ? `${listed.description} [${listed.vendorId}:${listed.deviceId}]` : null,
      totalVfs: total,
      driver: driver === undefined ? null : posix.basename(driver),
      ...(firmwareOff ? { firmwareOff } : {}),
    },
  });
  // A port planned without VFs needs no SR-IOV capability.
  if (pf.vfs === 0) return facts(totalVfs === undefined || Number.isNaN(totalVfs) ? 0 : totalVfs);
  const known = totalVfs === undefined || Number.isNaN(totalVfs) ? 0 : totalVfs;
  if (firmwareGated && known < pf.vfs) return facts(known, true);
  if (totalVfs === undefined || Number.isNaN(totalVfs)) {
    return {
      problem: {
        message: `${pci} (${pf.name}) has no SR-IOV capability (no sriov_totalvfs)`,
        hint: `use a port of an SR-IOV NIC (Intel 82599/X520, X540, X710, ...); on some boards SR-IOV must be enabled in the BIOS/UEFI setup before the capability appears`,
      },
    };
  }
  if (totalVfs === 0) {
    return {
      problem: {
        message: `SR-IOV disabled in BIOS for ${pci} (${pf.name}): sriov_totalvfs is 0 — enable SR-IOV in the BIOS/UEFI setup`,
        hint: 'enable SR-IOV (often under PCIe/PCI configuration; some boards also need ARI) in the BIOS/UEFI setup, then power-cycle the node',
      },
    };
  }
  if (totalVfs < pf.vfs) {
    return {
      problem: {
        message: `${pci} (${pf.name}) supports ${totalVfs} VFs, the plan asks for ${pf.vfs}`,
        hint: `lower pfs[].vfs of ${pf.name} in the inventory to at most ${totalVfs}`,
      },
    };
  }
  return facts(totalVfs);
}
