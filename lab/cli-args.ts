// Command line of lab/lab.ts: parsing and --help. Pure: no I/O.
import { parseArgs } from 'node:util';
import { FAULTS, FAULT_HELP } from './faults.ts';
import { FIRMWARES, FLAVOURS, MAX_NODES, type Firmware, type Flavour } from './layout.ts';
import { DEFAULT_NIC, NIC_MODELS, nicFacts } from './nics.ts';
import type { PackageScope } from './packages.ts';

export type LabCommand =
  | { cmd: 'help' }
  | { cmd: 'up'; dir?: string; nodes: number; flavour: Flavour; firmware: Firmware; nic: string; bootDelayMs?: number; install: boolean }
  | { cmd: 'down'; dir?: string }
  | { cmd: 'status'; dir?: string; json: boolean }
  | { cmd: 'reboot'; dir?: string; node: string; wait: boolean }
  | { cmd: 'ssh' | 'exec'; dir?: string; node: string; command: string[] }
  | { cmd: 'fault'; dir?: string; node: string; fault: string; on: boolean; arg?: number }
  | { cmd: 'packages'; scope: PackageScope }
  | { cmd: 'setup'; scope: PackageScope; install: boolean }
  | { cmd: 'sweep' };

export class LabUsageError extends Error {}

export const LAB_HELP = `Usage: npx zx lab/lab.ts COMMAND [options]

The lab: simulated SR-IOV nodes (Intel 82599ES, X710, E810 or ConnectX-5; CentOS 7, Debian 12, AlmaLinux 9 or Ubuntu 24.04) on this machine, each a set
of namespaces running a real sshd and real LXC, plus a peer host running an iperf3 server.
Flavours: centos7, debian12, alma8 (BLS entries reading grubenv's kernelopts), alma9 (BLS entries, grubby), ubuntu2404 (cloud image's grub.d).

Commands
  up [--nodes N] [--flavour ${FLAVOURS.join('|')}] [--firmware bios|uefi] [--nic ${NIC_MODELS.join('|')}] [--boot-delay MS]
                          start N nodes (node1..N, 1-${MAX_NODES}) and the peer; prints the inventory
                          path as the last line. Idempotent. NIC models (default ${DEFAULT_NIC}):
${NIC_MODELS.map((m) => `                            ${m.padEnd(6)} ${nicFacts(m).title ?? ''}`).join('\n')}
  down                    stop everything the lab started and remove it
  status [--json]         nodes, their power phase, boot, faults
  reboot NAME [--no-wait] reset a node (or power it on when it is off)
  ssh NAME -- CMD...      run CMD on the node over SSH (one argument: a shell command line;
                          several: an argv, each quoted)
  exec NAME -- CMD...     run an argv on the node directly (in its namespaces, not over SSH)
  fault NAME FAULT on|off [ARG]
                          switch a fault of the node's hardware or firmware
  packages [--tests]      the Debian packages the lab needs (with --tests: also the test suite's),
                          one a line
  setup [--tests] [--no-install]
                          install the missing ones (as root, apt-get; services they enable are
                          disabled again), or print the command to run
  sweep                   take down the labs a killed test run or npm run bench left (directories
                          sriov-lxc-test-* and sriov-lxc-bench-* in the temp directory whose
                          process is gone; run before npm test)

Options
  --dir DIR               the lab's directory (default: .lab at the repository root)
  --no-install            (up, setup) never install packages: print the command instead
                          (also SRIOV_LXC_NO_INSTALL=1)

Faults
${FAULTS.map((f) => `  ${f.padEnd(22)}${FAULT_HELP[f]}`).join('\n')}
`;

function positiveInt(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new LabUsageError(`${what} must be a whole number, not "${value}"`);
  return n;
}

export function parseLabArgs(args: readonly string[]): LabCommand {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : [...args];
  const rest = dash >= 0 ? args.slice(dash + 1) : [];
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        nodes: { type: 'string' },
        flavour: { type: 'string' },
        firmware: { type: 'string' },
        nic: { type: 'string' },
        'boot-delay': { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        tests: { type: 'boolean', default: false },
        'no-install': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new LabUsageError(`${(error as Error).message} (see --help)`);
  }
  const { values: v, positionals: p } = parsed;
  const dir = v.dir !== undefined ? { dir: v.dir } : {};
  const [cmd, ...words] = p;
  if (v.help || cmd === undefined || cmd === 'help') return { cmd: 'help' };
  const node = (): string => {
    const name = words[0];
    if (!name) throw new LabUsageError(`${cmd} needs a node name, e.g. \`${cmd} node1\``);
    return name;
  };
  switch (cmd) {
    case 'up': {
      const flavour = v.flavour ?? 'centos7';
      if (!(FLAVOURS as readonly string[]).includes(flavour)) {
        throw new LabUsageError(`--flavour ${flavour}: choose one of ${FLAVOURS.join(', ')}`);
      }
      const firmware = v.firmware ?? 'bios';
      if (!(FIRMWARES as readonly string[]).includes(firmware)) {
        throw new LabUsageError(`--firmware ${firmware}: choose one of ${FIRMWARES.join(', ')}`);
      }
      const nodes = v.nodes === undefined ? 1 : positiveInt(v.nodes, '--nodes');
      if (nodes < 1 || nodes > MAX_NODES) throw new LabUsageError(`--nodes ${nodes}: a lab has 1 to ${MAX_NODES} nodes`);
      const bootDelay = v['boot-delay'] === undefined ? {} : { bootDelayMs: positiveInt(v['boot-delay'], '--boot-delay') };
      const nic = v.nic ?? DEFAULT_NIC;
      if (!NIC_MODELS.includes(nic)) throw new LabUsageError(`--nic ${nic}: choose one of ${NIC_MODELS.join(', ')}`);
      return { cmd, ...dir, nodes, flavour: flavour as Flavour, firmware: firmware as Firmware, nic, ...bootDelay, install: !v['no-install'] };
    }
    case 'down':
      return { cmd, ...dir };
    case 'status':
      return { cmd, ...dir, json: v.json ?? false };
    case 'reboot':
      return { cmd, ...dir, node: node(), wait: !v['no-wait'] };
    case 'ssh':
    case 'exec':
      if (rest.length === 0) throw new LabUsageError(`${cmd} needs a command after --, e.g. \`${cmd} node1 -- uname -r\``);
      return { cmd, ...dir, node: node(), command: rest };
    case 'fault': {
      const [name, fault, state, arg] = words;
      if (!name || !fault || (state !== 'on' && state !== 'off')) {
        throw new LabUsageError('fault needs NAME FAULT on|off [ARG], e.g. `fault node1 ssh-drops on 2`');
      }
      if (!(FAULTS as readonly string[]).includes(fault)) {
        throw new LabUsageError(`unknown fault ${fault}; faults: ${FAULTS.join(', ')}`);
      }
      return { cmd, ...dir, node: name, fault, on: state === 'on', ...(arg !== undefined ? { arg: positiveInt(arg, 'the fault argument') } : {}) };
    }
    case 'packages':
      return { cmd, scope: v.tests ? 'tests' : 'lab' };
    case 'setup':
      return { cmd, scope: v.tests ? 'tests' : 'lab', install: !v['no-install'] };
    case 'sweep':
      return { cmd };
    default:
      throw new LabUsageError(`unknown command ${cmd}; commands: up, down, status, reboot, ssh, exec, fault, packages, setup, sweep (see --help)`);
  }
}
