// The SR-IOV NICs the tool knows, by PCI id: their PF and VF drivers, whether the PF driver takes
// max_vfs (only ixgbe; i40e, ice and mlx5_core create VFs through sysfs sriov_numvfs alone) and
// whether the firmware gates SR-IOV (ConnectX: SRIOV_EN/NUM_OF_VFS through mstconfig, applied at
// the next boot). Sources: the drivers' PCI id tables (ixgbe_main.c, i40e_main.c, ice_main.c,
// mlx5 main.c) and NVIDIA's "Setting Up SR-IOV" (MLNX_OFED documentation).

import type { NicModel } from './plan.ts';

export const NIC_MODELS = ['82599', 'x710', 'e810', 'cx5'] as const satisfies readonly NicModel[];

export interface NicModelFacts {
  title: string;
  /** vendor:device of the PF, lower-case hex. */
  pciIds: readonly string[];
  pfModule: string;
  vfModule: string;
  /** The PF driver has a max_vfs parameter (VFs at driver load, set on the kernel cmdline). */
  maxVfs: boolean;
  /** The tool that enables SR-IOV in the NIC's firmware, when the firmware gates it. */
  firmware: 'mstconfig' | null;
}

export const NICS: Readonly<Record<NicModel, NicModelFacts>> = {
  '82599': { title: 'Intel 82599 (X520)', pciIds: ['8086:10fb', '8086:10f8', '8086:10f9', '8086:1528', '8086:1557'], pfModule: 'ixgbe', vfModule: 'ixgbevf', maxVfs: true, firmware: null },
  x710: { title: 'Intel X710/XL710/XXV710 (700 series)', pciIds: ['8086:1572', '8086:1583', '8086:1584', '8086:1589', '8086:158a', '8086:158b', '8086:37d2'], pfModule: 'i40e', vfModule: 'iavf', maxVfs: false, firmware: null },
  e810: { title: 'Intel E810 (800 series)', pciIds: ['8086:1591', '8086:1592', '8086:1593', '8086:159b', '8086:1599'], pfModule: 'ice', vfModule: 'iavf', maxVfs: false, firmware: null },
  cx5: { title: 'NVIDIA ConnectX-4/5/6', pciIds: ['15b3:1013', '15b3:1015', '15b3:1017', '15b3:1019', '15b3:101b', '15b3:101d'], pfModule: 'mlx5_core', vfModule: 'mlx5_core', maxVfs: false, firmware: 'mstconfig' },
};

/** The model of a PF from its sysfs vendor and device ("0x8086", "0x1572"); undefined when unknown. */
export function nicOfPciId(vendor: string, device: string): NicModel | undefined {
  const id = `${vendor.trim().toLowerCase().replace(/^0x/, '')}:${device.trim().toLowerCase().replace(/^0x/, '')}`;
  return NIC_MODELS.find((m) => NICS[m].pciIds.includes(id));
}
