// The resolved plan of one host: the inventory after defaults are merged, paths made absolute,
// `auto` MACs derived and the kernel params computed. Stages read only this.
import type { BenchProfileName } from './schema.ts';

export type Distro = 'auto' | 'centos7' | 'debian12' | 'alma8' | 'alma9' | 'ubuntu2404';
export type IommuMode = 'off' | 'on' | 'pt';
export type VfCreation = 'max_vfs' | 'sysfs';
export type NicModel = '82599' | 'x710' | 'e810' | 'cx5';

/** Settings of one VF through its PF (`ip link set PF vf N ...`); absent keys are left as they are. */
export interface VfSettings {
  vlan?: number;
  qos?: number;
  spoofchk?: boolean;
  trust?: boolean;
  linkState?: 'auto' | 'enable' | 'disable';
  /** Mbit/s; 0: no limit. */
  maxTxRate?: number;
}

/** The NIC a plan is resolved for, and what the inventory said to resolve it again. */
export interface NicPlan {
  /** null: not known yet (nic: auto, before the node's PCI ids were read; the paper's ixgbe meanwhile). */
  model: NicModel | null;
  setting: NicModel | 'auto';
  /** driver.pfModule / vfModule when the inventory pins them. */
  pinnedModules: { pf?: string; vf?: string };
}

/** SR-IOV enabled in the NIC's firmware (ConnectX: mstconfig SRIOV_EN=1 NUM_OF_VFS=n; next boot). */
export interface FirmwarePlan {
  tool: 'mstconfig';
  /** VFs per PF the firmware must allow: the most any PF plans. */
  numVfs: number;
}

export interface SshPlan {
  address: string;
  user: string;
  port: number;
  /** Absolute path of a private key, when not using the agent. */
  key?: string;
  agent: boolean;
  /** Verify against this known_hosts file instead of pinning on first use. */
  knownHosts?: string;
  /** Alias looked up in ~/.ssh/config (HostName, User, Port, IdentityFile). */
  sshConfigHost?: string;
}

export interface PfPlan {
  name: string;
  vfs: number;
  vfCreation: VfCreation;
  /** What the inventory says (auto: max_vfs where the PF driver has it, else sysfs). */
  vfCreationSetting: VfCreation | 'auto';
  /** One VfSettings per VF index ({} when none). */
  vfSettings: VfSettings[];
  /** One MAC per VF index, lower-case, colon-separated. */
  macs: string[];
  /** Whether `macs` were derived (`auto`) rather than listed. */
  autoMacs: boolean;
}

export interface DriverPlan {
  source: 'tarball' | 'inbox';
  /** Absolute local paths of the tarballs (source: tarball). */
  pfTarball?: string;
  vfTarball?: string;
  pfModule: string;
  vfModule: string;
}

export interface HugepagesPlan {
  count: number;
  size: '2M' | '1G';
  mount: string;
}

export interface TemplatePatch {
  /** Name of a shipped patch, or "custom". */
  name: string;
  file: string;
  find: string;
  replace: string;
}

export interface ContainerPlan {
  name: string;
  template: string;
  templateArgs: string[];
  templatePatches: TemplatePatch[];
  vf: { pf: string; index: number };
  /** CIDR, e.g. 192.168.10.11/24, set inside the container on the VF. */
  address?: string;
  gateway?: string;
  autostart: boolean;
  limits: { memory?: string; cpus?: string };
  devices: string[];
  /** tc htb rate on the VF, e.g. "10gbit". */
  rate?: string;
}

export interface BenchmarkPlan {
  profile: BenchProfileName;
  /** Address of the iperf3 server. */
  peer?: string;
  fio: { directory: string };
  /** Percent; penalties whose whole interval is beyond it are flagged. */
  penaltyThreshold: number;
  /** Overrides the profile's repetitions. */
  repetitions?: number;
  /** Percentage points: the half-width each point's interval is measured down to, within the profile's time budget. */
  precision?: number;
  /** Seconds: instead of the profile's time budget. */
  budget?: number;
  /** The gate: percent per metric family (network, iops, bandwidth, latency). */
  maxPenalty?: Partial<Record<'network' | 'iops' | 'bandwidth' | 'latency', number>>;
}

export interface HostPlan {
  /** Inventory name ("node1"). */
  name: string;
  ssh: SshPlan;
  distro: Distro;
  nic: NicPlan;
  /** Set when the NIC's firmware gates SR-IOV and VFs are planned. */
  firmware?: FirmwarePlan;
  iommu: IommuMode;
  hugepages?: HugepagesPlan;
  /** Extra key=value params from the inventory (value null for a bare flag). */
  extraKernelParams: Record<string, string | null>;
  /** Every param the kernel cmdline must have: iommu, hugepages, max_vfs, extras. Ordered. */
  kernelParams: string[];
  /**
   * New kernel params are tried in a one-shot boot entry first and made the default only after
   * that boot came up with them; false: written straight into the default entry. Absent: true.
   */
  trialBoot?: boolean;
  driver: DriverPlan;
  pfs: PfPlan[];
  containers: ContainerPlan[];
  benchmark: BenchmarkPlan;
}

export interface Inventory {
  /** Absolute path of the file it was read from. */
  path: string;
  hosts: HostPlan[];
}
