// Deterministic MACs for `macs: auto`: the same inventory gives the same MACs on every run and
// every controller, so a VF keeps its address across driver reloads and reboots (the paper reset
// random MACs by hand after each load).
import { createHash } from 'node:crypto';

/** A locally administered (bit 1 set), unicast (bit 0 clear) MAC derived from host, PF and VF index. */
export function deriveMac(host: string, pf: string, vfIndex: number): string {
  const digest = createHash('sha256').update(`sriov-lxc\0${host}\0${pf}\0${vfIndex}`).digest();
  const bytes = [...digest.subarray(0, 6)];
  bytes[0] = ((bytes[0] ?? 0) & 0xfc) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function normaliseMac(mac: string): string {
  return mac.toLowerCase();
}
