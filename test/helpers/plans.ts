// Plans shared by stage unit tests, parsed by the tool's own inventory loader.
import type { HostPlan } from '../../inventory/plan.ts';
import { parseInventory } from '../../inventory/load.ts';

/** A host planned like a lab node (the lab's inventory): iommu pt, 16 huge pages, 2 PFs of 4 VFs. */
export function labNodePlan(options: { trialBoot?: boolean } = {}): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: pt
${options.trialBoot === undefined ? '' : `    trialBoot: ${options.trialBoot}\n`}    hugepages: { count: 16 }
    pfs:
      - { name: enp4s0f0, vfs: 4 }
      - { name: enp4s0f1, vfs: 4 }
`, '/tmp/inventory.yaml').hosts[0]!;
}

/** `iommu: on` (so iommu=pt contradicts the plan), 16 huge pages, 1 PF of 4 VFs through max_vfs. */
export function iommuOnPlan(): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    iommu: on
    hugepages: { count: 16 }
    pfs:
      - { name: enp4s0f0, vfs: 4 }
`, '/tmp/inventory.yaml').hosts[0]!;
}
