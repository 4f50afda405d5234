// A host plan resolved for its NIC: the PF/VF drivers, how VFs are created, the kernel params that
// follow (ixgbe.max_vfs only where the driver has it) and the firmware step. Pure: run when the
// inventory is read (for a pinned nic, else for the paper's 82599) and again once the node's PF
// PCI id is known (nic: auto).
import { extraParams, hugepageParams, iommuParams, maxVfsParams } from './kernel-params.ts';
import { NICS } from './nics.ts';
import type { HostPlan, NicModel, PfPlan } from './plan.ts';

export interface NicResolution {
  plan: HostPlan;
  /** What cannot work with this NIC, each naming the fix. */
  problems: string[];
}

/** Whether a PF driver creates VFs from a max_vfs module parameter. */
export function driverHasMaxVfs(pfModule: string): boolean {
  return Object.values(NICS).some((n) => n.pfModule === pfModule && n.maxVfs);
}

export function resolveNic(plan: HostPlan, model: NicModel | null): NicResolution {
  const facts = NICS[model ?? '82599'];
  const problems: string[] = [];
  const driver = {
    ...plan.driver,
    pfModule: plan.nic.pinnedModules.pf ?? facts.pfModule,
    vfModule: plan.nic.pinnedModules.vf ?? facts.vfModule,
  };
  const maxVfs = driverHasMaxVfs(driver.pfModule);
  const pfs: PfPlan[] = plan.pfs.map((pf) => {
    if (pf.vfCreationSetting === 'max_vfs' && !maxVfs) {
      problems.push(`pfs ${pf.name}: vfCreation max_vfs, but ${driver.pfModule} has no max_vfs parameter: use vfCreation sysfs (or auto)`);
    }
    const vfCreation = pf.vfCreationSetting === 'auto' ? (maxVfs ? 'max_vfs' : 'sysfs') : pf.vfCreationSetting;
    return { ...pf, vfCreation };
  });
  if (new Set(pfs.map((pf) => pf.vfCreation)).size > 1) {
    problems.push('pfs mix vfCreation max_vfs and sysfs: max_vfs is one driver parameter for all ports; use one method per host');
  }
  if (driver.source === 'tarball' && !maxVfs) {
    problems.push(`driver source tarball builds Intel's ixgbe/ixgbevf; for ${driver.pfModule} use source: inbox (the distribution's driver)`);
  }
  const mostVfs = Math.max(0, ...pfs.map((pf) => pf.vfs));
  const firmware = model !== null && facts.firmware !== null && mostVfs > 0 ? { tool: facts.firmware, numVfs: mostVfs } : undefined;
  const resolved: HostPlan = {
    ...plan,
    nic: { ...plan.nic, model },
    driver,
    pfs,
    kernelParams: [...iommuParams(plan.iommu), ...hugepageParams(plan.hugepages), ...maxVfsParams(driver, pfs), ...extraParams(plan.extraKernelParams)],
  };
  if (firmware) resolved.firmware = firmware;
  else delete resolved.firmware;
  return { plan: resolved, problems };
}
