// The resolved plan of one host: the inventory after defaults are merged, paths made absolute,
// `auto` MACs derived and the kernel params computed. Stages read only this.

export type Distro = 'auto' | 'centos7' | 'debian12' | 'alma9' | 'ubuntu2404';
export type IommuMode = 'off' | 'on' | 'pt';
export type VfCreation = 'max_vfs' | 'sysfs';

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
  profile: 'paper' | 'quick';
  /** Address of the iperf3 server. */
  peer?: string;
  fio: { directory: string };
  /** Percent; worse penalties are flagged. */
  penaltyThreshold: number;
}

export interface HostPlan {
  /** Inventory name ("node1"). */
  name: string;
  ssh: SshPlan;
  distro: Distro;
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
