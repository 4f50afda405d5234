// The kernel params a host's plan needs, in a stable order: IOMMU, hugepages, VF counts, extras.
import type { DriverPlan, HugepagesPlan, IommuMode, PfPlan } from './plan.ts';

export function iommuParams(mode: IommuMode): string[] {
  switch (mode) {
    // The paper's setup: VT-d off in the BIOS and on the cmdline.
    case 'off':
      return ['intel_iommu=off'];
    case 'on':
      return ['intel_iommu=on'];
    // Modern hosts: IOMMU on, host devices in passthrough mode so only VFs given away are translated.
    case 'pt':
      return ['intel_iommu=on', 'iommu=pt'];
  }
}

export function hugepageParams(hugepages: HugepagesPlan | undefined): string[] {
  if (!hugepages) return [];
  const params = [`default_hugepagesz=${hugepages.size}`, `hugepagesz=${hugepages.size}`];
  // 1 GB pages can only be reserved at boot; 2 MB pages are set through vm.nr_hugepages.
  if (hugepages.size === '1G') params.push(`hugepages=${hugepages.count}`);
  return params;
}

/** `ixgbe.max_vfs=8,8`: one count per port, in the order the driver probes them (the PFs' order). */
export function maxVfsParams(driver: DriverPlan, pfs: readonly PfPlan[]): string[] {
  const viaParam = pfs.filter((pf) => pf.vfCreation === 'max_vfs');
  if (viaParam.length === 0) return [];
  return [`${driver.pfModule}.max_vfs=${viaParam.map((pf) => pf.vfs).join(',')}`];
}

export function extraParams(extra: Readonly<Record<string, string | null>>): string[] {
  return Object.entries(extra).map(([k, v]) => (v === null ? k : `${k}=${v}`));
}

/**
 * A kernel param's name as the kernel compares it: `-` and `_` are the same character in names
 * (kernel/params.c parameq/dash2underscore, also for `module.param` and early params), so
 * `intel-iommu` is `intel_iommu` and `ixgbe.max-vfs` is `ixgbe.max_vfs`.
 */
export function kernelParamName(key: string): string {
  return key.replaceAll('-', '_');
}
