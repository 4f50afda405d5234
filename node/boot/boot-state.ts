// What the running boot shows of the plan: the kernel cmdline, the NIC drivers loaded, and whether
// the loaded PF/VF drivers are the ones driver-build installed (a new build waits for a reboot).
import type { Host } from '../../hosts/host.ts';
import { observe } from '../../hosts/observing-host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import type { Problem } from '../facts/findings.ts';
import { assessIommu, IOMMU_READ, readIommu } from '../facts/iommu.ts';
import { cmdlineSatisfies, type CmdlineCheck } from '../parse/cmdline.ts';
import { parseLsmod } from '../parse/modules.ts';
import { firmwarePending } from '../facts/firmware.ts';

export interface BootState {
  cmdline: string;
  check: CmdlineCheck;
  /** Planned modules not loaded. */
  notLoaded: string[];
  /** Loaded modules that are not the version driver-build installed, in words. */
  oldDrivers: string[];
  /** The IOMMU the cmdline asks for is not there (see bios-verify). */
  iommuProblem: Problem | undefined;
  /** PFs whose firmware SR-IOV settings wait for a boot (nic-firmware). */
  firmwarePending: string[];
}

/** The versions driver-build installed from tarballs (none for in-box drivers). */
function builtVersions(driverBuild: Readonly<Record<string, unknown>> | undefined): Map<string, string> {
  const modules = driverBuild?.source === 'tarball' && Array.isArray(driverBuild.modules) ? driverBuild.modules : [];
  return new Map(modules.flatMap((m: { module?: unknown; version?: unknown }) => (typeof m?.module === 'string' && typeof m.version === 'string' ? [[m.module, m.version] as const] : [])));
}

export async function readBootState(host: Host, plan: HostPlan, driverBuild: Readonly<Record<string, unknown>> | undefined): Promise<BootState> {
  const built = [...builtVersions(driverBuild).keys()];
  await observe(host, [
    { file: '/proc/cmdline' },
    { argv: ['lsmod'] },
    ...built.flatMap((m) => [{ argv: ['test', '-d', `/sys/module/${m}`] }, { file: `/sys/module/${m}/version` }]),
    IOMMU_READ,
    ...(plan.firmware ? plan.pfs.map((pf) => ({ file: `/sys/class/net/${pf.name}/device/sriov_totalvfs` })) : []),
  ]);
  const cmdline = ((await host.readFile('/proc/cmdline')) ?? '').trim();
  const loaded = new Set(parseLsmod((await host.run(['lsmod'])).stdout).map((m) => m.name));
  const modules = [...new Set([plan.driver.pfModule, plan.driver.vfModule])];
  const notLoaded = modules.filter((m) => !loaded.has(m));
  const oldDrivers: string[] = [];
  for (const [module, version] of builtVersions(driverBuild)) {
    // Without /sys/module/<name> the kernel does not say which build it loaded: nothing to compare.
    if (!loaded.has(module) || (await host.exec(['test', '-d', `/sys/module/${module}`])).code !== 0) continue;
    // In-kernel drivers have no version file; Intel's out-of-tree ones do.
    const running = (await host.readFile(`/sys/module/${module}/version`))?.trim();
    if (running !== version) oldDrivers.push(`${module} ${running ?? '(in-kernel)'} is loaded, ${version} is installed`);
  }
  const iommuProblem = assessIommu(plan.iommu, await readIommu(host), cmdline).problem;
  return { cmdline, check: cmdlineSatisfies(cmdline, plan.kernelParams), notLoaded, oldDrivers, iommuProblem, firmwarePending: await firmwarePending(host, plan) };
}

/** "intel_iommu=off (found intel_iommu=on), ixgbe.max_vfs=8,8 (absent)". */
export function describeShortfall(check: CmdlineCheck): string {
  return [...check.missing.map((p) => `${p} (absent)`), ...check.conflicting.map((c) => `${c.param} (found ${c.found})`)].join(', ');
}
