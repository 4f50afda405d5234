// The IOMMU (Intel VT-d) now versus the plan. An active IOMMU registers a unit under
// /sys/class/iommu (dmar0, ...). A difference is not fatal here: the kernel-cmdline stage and the
// reboot change it. Only "asked for on the cmdline already, and still off" points at the BIOS.
import type { Host } from '../../hosts/host.ts';
import { iommuParams } from '../../inventory/kernel-params.ts';
import type { IommuMode } from '../../inventory/plan.ts';
import { cmdlineSatisfies } from '../parse/cmdline.ts';
import type { Problem } from './findings.ts';

export interface IommuState {
  active: boolean;
  /** Entries of /sys/class/iommu. */
  units: string[];
}

export interface IommuAssessment {
  /** A line for the person watching. */
  note: string;
  problem?: Problem;
}

/** What readIommu reads, for a batched observation. */
export const IOMMU_READ = { argv: ['ls', '-A', '/sys/class/iommu'] } as const;

export async function readIommu(host: Host): Promise<IommuState> {
  // No /sys/class/iommu at all: a kernel without IOMMU drivers, the same as none active.
  const result = await host.exec(IOMMU_READ.argv);
  const units = result.code === 0 ? result.stdout.split('\n').filter((u) => u.trim() !== '') : [];
  return { active: units.length > 0, units };
}

export function assessIommu(mode: IommuMode, state: IommuState, cmdline: string): IommuAssessment {
  const params = iommuParams(mode);
  const units = state.units.join(', ');
  if (mode === 'off') {
    return state.active
      ? { note: `IOMMU on now (${units}); the plan has it off like the paper: kernel-cmdline adds ${params.join(' ')}, off after the reboot` }
      : { note: 'IOMMU off, as planned' };
  }
  if (state.active) return { note: `IOMMU on (${units}), as planned` };
  if (cmdlineSatisfies(cmdline, params).ok) {
    return {
      note: 'IOMMU off although the kernel was asked for it',
      problem: {
        message: `VT-d is disabled in the BIOS: /proc/cmdline has ${params.join(' ')} but no IOMMU is active (/sys/class/iommu is empty)`,
        hint: 'enable Intel VT-d (Virtualization Technology for Directed I/O) in the BIOS/UEFI setup, or set iommu: off in the inventory (the paper\'s setup)',
      },
    };
  }
  return { note: `IOMMU off now; kernel-cmdline adds ${params.join(' ')}, on after the reboot (needs VT-d enabled in the BIOS)` };
}
