// The NIC firmware's SR-IOV settings (ConnectX: SRIOV_EN, NUM_OF_VFS through mstflint's
// mstconfig), per PF: what the next boot will load, and whether the running boot has them (the
// PF's sriov_totalvfs is the firmware's NUM_OF_VFS once SR-IOV is on; without it there is no
// SR-IOV capability and no sriov_totalvfs at all).
import { posix } from 'node:path';
import type { ExecResult, Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { FirmwarePlan, HostPlan } from '../../inventory/plan.ts';
import { nextBoot, parseMstconfigQuery } from '../parse/mstconfig.ts';

export interface FirmwareState {
  pf: string;
  pci: string;
  /** Next-boot values (null: not listed). */
  sriovEn: number | null;
  numVfs: number | null;
  /** sriov_totalvfs now (null: no SR-IOV capability). */
  liveTotalVfs: number | null;
}

export const wantsFirmware = (f: FirmwarePlan, s: FirmwareState): boolean => s.sriovEn !== 1 || (s.numVfs ?? 0) < f.numVfs;
export const firmwareLive = (f: FirmwarePlan, s: FirmwareState): boolean => (s.liveTotalVfs ?? 0) >= f.numVfs;

export function queryArgv(pci: string): string[] {
  return ['mstconfig', '-d', pci, 'query', 'SRIOV_EN', 'NUM_OF_VFS'];
}

export function setArgv(pci: string, numVfs: number): string[] {
  return ['mstconfig', '-y', '-d', pci, 'set', 'SRIOV_EN=1', `NUM_OF_VFS=${numVfs}`];
}

async function pciOf(host: Host, pf: string): Promise<string> {
  const r = await host.exec(['readlink', `/sys/class/net/${pf}/device`]);
  if (r.code !== 0 || r.stdout.trim() === '') {
    throw new FatalError(`${pf} not found (no /sys/class/net/${pf}/device)`, { hint: 'check pfs[].name in the inventory against `ip link` on the node' });
  }
  return posix.basename(r.stdout.trim());
}

/**
 * mstconfig's answer for the two parameters. mstflint before 4.8 takes no parameter names after
 * `query` ("query command expects no argument"): it is asked for everything, which lists them too.
 */
async function runQuery(host: Host, pci: string): Promise<{ argv: string[]; result: ExecResult }> {
  const argv = queryArgv(pci);
  const result = await host.exec(argv);
  if (result.code === 0 || !/query command expects no argument/.test(result.stdout + result.stderr)) return { argv, result };
  const all = ['mstconfig', '-d', pci, 'query'];
  return { argv: all, result: await host.exec(all) };
}

/** The firmware state of every PF with VFs planned. */
export async function readFirmware(host: Host, plan: HostPlan): Promise<FirmwareState[]> {
  const states: FirmwareState[] = [];
  for (const pf of plan.pfs.filter((p) => p.vfs > 0)) {
    const pci = await pciOf(host, pf.name);
    const { argv, result: r } = await runQuery(host, pci);
    if (r.code === 127 || /not found/.test(r.stderr)) {
      throw new FatalError(`${host.name}: mstconfig is not installed; ${plan.nic.model ?? 'this'} NIC needs SR-IOV enabled in its firmware`, {
        hint: 'install mstflint on the node (Debian/Ubuntu: apt-get install mstflint; RHEL/CentOS: yum install mstflint), then run again',
      });
    }
    if (r.code !== 0) {
      throw new FatalError(`${host.name}: \`${argv.join(' ')}\` failed (exit ${r.code}): ${(r.stdout + r.stderr).trim().split('\n').slice(-2).join(' ')}`, {
        hint: 'run the command on the node; mstconfig needs root and a Mellanox/NVIDIA device',
      });
    }
    const query = parseMstconfigQuery(r.stdout);
    const total = await host.readFile(`/sys/class/net/${pf.name}/device/sriov_totalvfs`);
    const live = total === undefined ? null : Number.parseInt(total.trim(), 10);
    states.push({
      pf: pf.name,
      pci,
      sriovEn: nextBoot(query, 'SRIOV_EN') ?? null,
      numVfs: nextBoot(query, 'NUM_OF_VFS') ?? null,
      liveTotalVfs: live === null || Number.isNaN(live) ? null : live,
    });
  }
  return states;
}

/** PFs whose running boot does not have the firmware's SR-IOV yet (it applies at the next boot). */
export async function firmwarePending(host: Host, plan: HostPlan): Promise<string[]> {
  if (!plan.firmware) return [];
  const pending: string[] = [];
  for (const pf of plan.pfs.filter((p) => p.vfs > 0)) {
    const total = await host.readFile(`/sys/class/net/${pf.name}/device/sriov_totalvfs`);
    const n = total === undefined ? null : Number.parseInt(total.trim(), 10);
    if (n === null || Number.isNaN(n) || n < plan.firmware.numVfs) {
      pending.push(`${pf.name}: SR-IOV not active in the NIC firmware yet (sriov_totalvfs ${n ?? 'absent'}, ${plan.firmware.numVfs} needed)`);
    }
  }
  return pending;
}

/**
 * What nic-firmware read on each device before its first `mstconfig set` (written before it, a
 * device recorded once: the first look counts), so that teardown puts the settings back. Kept on
 * the node, as teardown may run from another controller or --local.
 */
export const FIRMWARE_FOUND = '/var/lib/sriov-lxc/nic-firmware-found.json';

export interface FirmwareFound {
  pci: string;
  pf: string;
  /** Next-boot values before sriov-lxc (null: mstconfig did not list them). */
  sriovEn: number | null;
  numVfs: number | null;
}

function isFirmwareFound(v: unknown): v is FirmwareFound {
  const f = v as Partial<FirmwareFound> | null;
  const num = (x: unknown) => x === null || typeof x === 'number';
  return typeof f?.pci === 'string' && typeof f.pf === 'string' && num(f.sriovEn) && num(f.numVfs);
}

export async function readFirmwareFound(host: Host): Promise<FirmwareFound[]> {
  const text = await host.readFile(FIRMWARE_FOUND);
  if (text === undefined) return [];
  let found: unknown;
  try {
    found = JSON.parse(text);
  } catch {
    found = undefined;
  }
  if (!Array.isArray(found) || !found.every(isFirmwareFound)) {
    throw new FatalError(`${host.name}: ${FIRMWARE_FOUND} is not the JSON sriov-lxc wrote`, { hint: 'look at it: it holds the firmware settings (SRIOV_EN, NUM_OF_VFS) each device had before provisioning' });
  }
  return found;
}

/** Adds the devices of `states` not recorded yet (one PCI device carries both ports: once). */
export async function recordFirmwareFound(host: Host, states: readonly FirmwareState[]): Promise<void> {
  const found = await readFirmwareFound(host);
  const all = [...found];
  for (const s of states) if (!all.some((f) => f.pci === s.pci)) all.push({ pci: s.pci, pf: s.pf, sriovEn: s.sriovEn, numVfs: s.numVfs });
  if (all.length === found.length) return;
  await host.writeFile(FIRMWARE_FOUND, `${JSON.stringify(all)}\n`, { mode: 0o600, directoryMode: 0o700 });
}

/** The command that puts a device's settings back, when both values before provisioning are known. */
export function restoreArgv(found: FirmwareFound): string[] | undefined {
  if (found.sriovEn === null || found.numVfs === null) return undefined;
  return ['mstconfig', '-y', '-d', found.pci, 'set', `SRIOV_EN=${found.sriovEn}`, `NUM_OF_VFS=${found.numVfs}`];
}
