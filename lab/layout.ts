// Names and addresses of a lab, derived from its slot (one per lab running on this machine, so
// several labs can run at once): namespaces `sl<slot>-*`, the subnet 10.213.<slot>.0/24.
// Pure.
import { join } from 'node:path';

export type Flavour = 'centos7' | 'debian12' | 'alma8' | 'alma9' | 'ubuntu2404';
export const FLAVOURS: readonly Flavour[] = ['centos7', 'debian12', 'alma8', 'alma9', 'ubuntu2404'];
export const isFlavour = (value: string): value is Flavour => (FLAVOURS as readonly string[]).includes(value);

/** How the node's firmware starts GRUB: legacy BIOS or UEFI (through the EFI system partition's stub). */
export type Firmware = 'bios' | 'uefi';
export const FIRMWARES: readonly Firmware[] = ['bios', 'uefi'];

/** The directory of grub.cfg and grubenv on a node's disk, as its distro puts them. */
export function grubDirOf(flavour: Flavour): string {
  return flavour === 'centos7' || flavour === 'alma8' || flavour === 'alma9' ? 'boot/grub2' : 'boot/grub';
}

/** The EFI system partition's stub grub.cfg of a UEFI node, on its disk. */
export function efiStubOf(flavour: Flavour): string {
  const vendor: Record<Flavour, string> = { centos7: 'centos', debian12: 'debian', alma8: 'almalinux', alma9: 'almalinux', ubuntu2404: 'ubuntu' };
  return `boot/efi/EFI/${vendor[flavour]}/grub.cfg`;
}

export const MAX_NODES = 32;
export const MAX_SLOT = 250;
export const PF_NAMES = ['enp4s0f0', 'enp4s0f1'] as const;

export interface ContainerLayout {
  name: string;
  pf: (typeof PF_NAMES)[number];
  vfIndex: number;
  /** CIDR inside the container. */
  address: string;
}

export interface NodeLayout {
  name: string;
  index: number;
  netns: string;
  /** Management address (on enp4s0f0), without prefix length. */
  address: string;
  /** The switch ports of enp4s0f0 and enp4s0f1. */
  switchPorts: [string, string];
  /** The NIC vendor's MACs of enp4s0f0 and enp4s0f1 (X520: 90:e2:ba). */
  pfMacs: [string, string];
  containers: ContainerLayout[];
  /** The node's files: its disk's overlay upper dirs, power state, this boot's files (DIR/nodes: a tmpfs). */
  dir: string;
  /** What of the node's disk stays on this machine's disk: /srv's overlay, where the benchmark's fio runs. */
  blockDir: string;
}

export interface LabLayout {
  slot: number;
  prefix: string;
  /** First three octets of the lab's /24. */
  subnet: string;
  prefixLength: 24;
  controllerAddress: string;
  /** The root-namespace end of the controller's link to the switch. */
  controllerLink: string;
  switchNetns: string;
  peerNetns: string;
  peerAddress: string;
}

export function labLayout(slot: number): LabLayout {
  if (!Number.isInteger(slot) || slot < 1 || slot > MAX_SLOT) throw new Error(`lab slot ${slot} is outside 1..${MAX_SLOT}`);
  const prefix = `sl${slot}`;
  const subnet = `10.213.${slot}`;
  return {
    slot,
    prefix,
    subnet,
    prefixLength: 24,
    controllerAddress: `${subnet}.1`,
    controllerLink: `${prefix}-ctl`,
    switchNetns: `${prefix}-sw`,
    peerNetns: `${prefix}-peer`,
    peerAddress: `${subnet}.2`,
  };
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** `oui`: the first three octets of the PF MACs (the NIC vendor's; Intel X520 by default). */
export function nodeLayout(lab: LabLayout, index: number, labDir: string, oui = '90:e2:ba'): NodeLayout {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODES) {
    throw new Error(`node index ${index} is outside 1..${MAX_NODES}`);
  }
  const name = `node${index}`;
  return {
    name,
    index,
    netns: `${lab.prefix}-${name}`,
    address: `${lab.subnet}.${10 + index}`,
    switchPorts: [`n${index}p0`, `n${index}p1`],
    pfMacs: [0, 1].map((pf) => `${oui}:${hex2(lab.slot)}:${hex2(index)}:${hex2(pf)}`) as [string, string],
    containers: PF_NAMES.map((pf, i) => ({
      name: `c${i + 1}`,
      pf,
      vfIndex: 0,
      address: `${lab.subnet}.${100 + 2 * (index - 1) + i + 1}/24`,
    })),
    dir: join(labDir, 'nodes', name),
    blockDir: join(labDir, 'block', name),
  };
}

/** Paths inside a lab's state directory. */
export function labPaths(dir: string) {
  return {
    state: join(dir, 'lab.json'),
    inventory: join(dir, 'inventory.yaml'),
    clientKey: join(dir, 'ssh', 'id_ed25519'),
    knownHosts: join(dir, 'ssh', 'known_hosts'),
    shimDir: join(dir, 'lib'),
    drivers: join(dir, 'drivers'),
    supervisorLog: join(dir, 'supervisor.log'),
    peerDir: join(dir, 'peer'),
  };
}

/** Paths of one node's directory (see lab/README.md). */
export function nodePaths(nodeDir: string) {
  return {
    disk: join(nodeDir, 'disk'),
    installed: join(nodeDir, 'disk', '.installed'),
    varBase: join(nodeDir, 'disk', '.var-base'),
    faults: join(nodeDir, 'firmware', 'faults'),
    run: join(nodeDir, 'run'),
    power: join(nodeDir, 'power.json'),
    powerOn: join(nodeDir, 'power-on'),
    hostKey: join(nodeDir, 'ssh_host_ed25519_key'),
    console: join(nodeDir, 'console.log'),
  };
}
