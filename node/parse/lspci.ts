// `lspci -Dnn` output: one PCI function per line with numeric class and vendor:device ids.
import { ParseError, excerpt } from './parse-error.ts';

export interface PciDevice {
  /** Full address with domain, e.g. 0000:04:00.0. */
  address: string;
  className: string;
  /** 4 hex digits, e.g. 0200 for an Ethernet controller. */
  classId: string;
  vendorId: string;
  deviceId: string;
  /** Vendor and device names as lspci prints them. */
  description: string;
  rev: string | null;
  isVirtualFunction: boolean;
}

const LINE =
  /^(?<address>(?:[0-9a-f]{4,}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) (?<className>.+?) \[(?<classId>[0-9a-f]{4})\]: (?<description>.*) \[(?<vendorId>[0-9a-f]{4}):(?<deviceId>[0-9a-f]{4})\](?: \(rev (?<rev>[0-9a-f]{2})\))?(?: \(prog-if [^)]*\))?$/;

/** A PCI address with the domain lspci omits without -D ("04:00.0" → "0000:04:00.0"). */
export function normalizePciAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(a) ? `0000:${a}` : a;
}

export function parseLspci(text: string): PciDevice[] {
  const devices: PciDevice[] = [];
  for (const line of text.split('\n')) {
    // Indented lines are the -k/-v details of the device above.
    if (line.trim() === '' || /^\s/.test(line)) continue;
    const g = LINE.exec(line)?.groups;
    if (!g) {
      throw new ParseError(`unexpected lspci line: ${excerpt(line)}`, {
        hint: 'run `lspci -Dnn` (numeric ids are needed: -nn)',
      });
    }
    const description = g.description as string;
    devices.push({
      address: normalizePciAddress(g.address as string),
      className: g.className as string,
      classId: g.classId as string,
      vendorId: g.vendorId as string,
      deviceId: g.deviceId as string,
      description,
      rev: g.rev ?? null,
      isVirtualFunction: /\bVirtual Function\b/i.test(description),
    });
  }
  return devices;
}

export function findPciDevice(devices: readonly PciDevice[], address: string): PciDevice | undefined {
  const want = normalizePciAddress(address);
  return devices.find((d) => d.address === want);
}

/** "0000:04" of "0000:04:10.2": the domain and bus a device sits on. */
export function pciBus(address: string): string {
  return normalizePciAddress(address).split(':').slice(0, 2).join(':');
}

/**
 * Virtual Functions on the bus of `pfAddress` (all of them without it). lspci alone cannot tell
 * which port a VF belongs to: both ports of a dual-port card share the bus; sysfs `physfn` can.
 */
export function virtualFunctions(devices: readonly PciDevice[], pfAddress?: string): PciDevice[] {
  const bus = pfAddress === undefined ? undefined : pciBus(pfAddress);
  return devices.filter((d) => d.isVirtualFunction && (bus === undefined || pciBus(d.address) === bus));
}
