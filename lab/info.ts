// What a running lab offers its users (tests, demo, bench): addresses, files, nodes. Derived from
// the lab state; no I/O besides reading it.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine } from '../hosts/quote.ts';
import { DRIVER_TARBALLS } from './drivers.ts';
import { labLayout, labPaths, nodeLayout, type ContainerLayout, type Flavour } from './layout.ts';
import { readState } from './state.ts';

/** Default lab directory: `.lab` at the repository root (gitignored). */
export const DEFAULT_LAB_DIR = fileURLToPath(new URL('../.lab', import.meta.url));

export interface LabNode {
  name: string;
  /** SSH address (management, on enp4s0f0); port 22. */
  address: string;
  port: number;
  flavour: Flavour;
  /** The NIC model (lab/node/nics.conf). */
  nic: string;
  netns: string;
  containers: ContainerLayout[];
  dir: string;
}

export interface LabInfo {
  dir: string;
  inventoryPath: string;
  keyPath: string;
  knownHostsPath: string;
  drivers: { pf: string; vf: string };
  subnet: string;
  controllerAddress: string;
  peerAddress: string;
  nodes: LabNode[];
}

export function labDir(dir: string | undefined): string {
  return resolve(dir ?? DEFAULT_LAB_DIR);
}

export function labInfo(dirOption?: string): LabInfo {
  const dir = labDir(dirOption);
  const state = readState(dir);
  if (!state) throw new Error(`no lab in ${dir}: start one with \`npx zx lab/lab.ts up --dir ${dir}\``);
  const lab = labLayout(state.slot);
  const paths = labPaths(dir);
  const nodes: LabNode[] = [];
  for (let i = 1; i <= state.nodeCount; i++) {
    const n = nodeLayout(lab, i, dir);
    nodes.push({ name: n.name, address: n.address, port: 22, flavour: state.flavour, nic: state.nic ?? '82599', netns: n.netns, containers: n.containers, dir: n.dir });
  }
  return {
    dir,
    inventoryPath: paths.inventory,
    keyPath: paths.clientKey,
    knownHostsPath: paths.knownHosts,
    drivers: {
      pf: join(paths.drivers, `${DRIVER_TARBALLS.pf}.tar.gz`),
      vf: join(paths.drivers, `${DRIVER_TARBALLS.vf}.tar.gz`),
    },
    subnet: `${lab.subnet}.0/${lab.prefixLength}`,
    controllerAddress: lab.controllerAddress,
    peerAddress: lab.peerAddress,
    nodes,
  };
}

export function nodeOf(info: LabInfo, name: string): LabNode {
  const node = info.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name} in the lab in ${info.dir}; nodes: ${info.nodes.map((n) => n.name).join(', ')}`);
  return node;
}

/**
 * The OpenSSH client's argv for running `command` (argv, quoted for the remote shell; one element
 * is taken as a shell command line) on a lab node as root, verified against the lab's known_hosts.
 */
export function sshArgv(info: LabInfo, name: string, command: readonly string[]): string[] {
  const node = nodeOf(info, name);
  const remote = command.length === 1 ? (command[0] ?? '') : commandLine(command);
  return [
    'ssh',
    '-i', info.keyPath,
    '-o', `UserKnownHostsFile=${info.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
    '-p', String(node.port),
    `root@${node.address}`,
    '--',
    remote,
  ];
}
