// `lab up`: starts N simulated SR-IOV nodes and the peer host, writes the inventory, and returns
// when every node's sshd accepts connections. Idempotent: a healthy lab of the same shape is
// reused; the leftovers of a crashed one are removed first.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { labCgroupRoots } from './cgroups.ts';
import { labDown } from './down.ts';
import { packDrivers } from './drivers.ts';
import { labDir, labInfo, type LabInfo } from './info.ts';
import { installNode } from './install.ts';
import { mountNodesTmpfs } from './nodes-tmpfs.ts';
import { renderInventory } from './inventory.ts';
import { DEFAULT_NIC, nicFacts } from './nics.ts';
import { ensureKeyPair, writeKnownHosts } from './keys.ts';
import { FIRMWARES, FLAVOURS, MAX_NODES, labLayout, labPaths, nodeLayout, nodePaths, type Firmware, type Flavour } from './layout.ts';
import { createController, createNodeNetwork, createPeer, createSwitch, rootRoutes, startPeerIperf, subnetRouted } from './network.ts';
import { readPower } from './power.ts';
import { isRunning, recordOf } from './processes.ts';
import { ensureLabTools } from './setup.ts';
import { buildShims } from './shims.ts';
import { allocateSlot } from './slots.ts';
import { labDirProblem, readState, remember, writeState, type LabState } from './state.ts';

export interface LabUpOptions {
  dir?: string;
  /** 1..32, default 1. */
  nodes?: number;
  flavour?: Flavour;
  /** bios (default) or uefi. */
  firmware?: Firmware;
  /** The NIC model of the nodes (lab/node/nics.conf): 82599 (default), x710, e810, cx5. */
  nic?: string;
  /** Pause between a node's shutdown and its next boot; default 2000. */
  bootDelayMs?: number;
  /** How long to wait for every node's sshd; default 60 s. */
  timeoutMs?: number;
  /** false: never install missing packages, say what to run (default: install as root, unless SRIOV_LXC_NO_INSTALL=1). */
  install?: boolean;
  /** Aborted (SIGINT/SIGTERM, lab/interrupt.ts): `up` stops between steps and takes down what it had started. */
  signal?: AbortSignal;
}

const SRC = fileURLToPath(new URL('./node', import.meta.url));
const DRIVER_SRC = fileURLToPath(new URL('./drivers', import.meta.url));
// Its own process: supervisor.ts beside the sources, supervisor.js in an installed package's dist/.
const SUPERVISOR = fileURLToPath(new URL(`./supervisor${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

function checkOptions(nodes: number, flavour: string, firmware: string): void {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new Error(`--nodes ${nodes}: a lab has 1 to ${MAX_NODES} nodes`);
  }
  if (!(FLAVOURS as readonly string[]).includes(flavour)) {
    throw new Error(`--flavour ${flavour}: choose one of ${FLAVOURS.join(', ')}`);
  }
  if (!(FIRMWARES as readonly string[]).includes(firmware)) {
    throw new Error(`--firmware ${firmware}: choose one of ${FIRMWARES.join(', ')}`);
  }
}

/** Waits until every node is up (sshd ready) in its current boot, or `signal` is aborted. */
export async function waitForNodesUp(dir: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const info = labInfo(dir);
  const deadline = Date.now() + timeoutMs;
  for (const node of info.nodes) {
    for (;;) {
      const power = readPower(nodePaths(node.dir).power);
      if (power?.phase === 'up') break;
      signal?.throwIfAborted();
      if (Date.now() > deadline) {
        const last = power?.history.at(-1)?.event ?? 'never booted';
        throw new Error(`${node.name} did not come up within ${timeoutMs} ms (last: ${last}); see ${join(node.dir, 'console.log')}`);
      }
      await delay(25);
    }
  }
}

/** The last lines of each node's console, kept in the error: taking the lab down removes them. */
function logTails(dir: string): string {
  const tails: string[] = [];
  for (const node of existsSync(join(dir, 'nodes')) ? readdirSync(join(dir, 'nodes')) : []) {
    const file = join(dir, 'nodes', node, 'console.log');
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-8);
    if (lines.join('').trim()) tails.push(`--- ${node}'s console (last lines)\n${lines.join('\n')}`);
  }
  return tails.join('\n');
}

/**
 * A failed `up` takes down what it had started (namespaces, supervisor, the peer's iperf3, slot,
 * files): the error says what failed and that the lab is down, or how to take it down.
 */
async function takeDownAfterFailure(dir: string, error: Error): Promise<Error> {
  const logs = logTails(dir);
  try {
    await labDown(dir);
  } catch (downError) {
    return new Error(
      `lab up failed: ${error.message}\ntaking the lab down failed too (${(downError as Error).message}): ` +
        `run \`npx zx lab/lab.ts down --dir ${dir}\`${logs ? `\n${logs}` : ''}`,
      { cause: error },
    );
  }
  return new Error(`lab up failed: ${error.message}\nthe lab is down: nothing it had started is left${logs ? `\n${logs}` : ''}`, { cause: error });
}

function healthy(state: LabState): boolean {
  return state.supervisor !== undefined && isRunning(state.supervisor);
}

/** A lab runs in `dir` (its supervisor does): `up` there reuses it. */
export function labRunning(dir: string): boolean {
  const state = readState(dir);
  return state !== undefined && healthy(state);
}

export async function labUp(options: LabUpOptions = {}): Promise<LabInfo> {
  const dir = labDir(options.dir);
  const nodeCount = options.nodes ?? 1;
  const flavour = options.flavour ?? 'centos7';
  const firmware = options.firmware ?? 'bios';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const signal = options.signal;
  checkOptions(nodeCount, flavour, firmware);
  // Before anything is created: the tools (installed here as root on Debian/Ubuntu), then root.
  await ensureLabTools({ scope: 'lab', what: 'the lab', ...(options.install === false ? { install: false } : {}) });
  if (process.getuid?.() !== 0) throw new Error('the lab creates namespaces and mounts: run it as root');
  signal?.throwIfAborted();
  const nic = options.nic ?? DEFAULT_NIC;
  const facts = nicFacts(nic);

  const existing = readState(dir);
  if (existing && healthy(existing)) {
    const existingFirmware = existing.firmware ?? 'bios';
    if (existing.nodeCount !== nodeCount || existing.flavour !== flavour || existingFirmware !== firmware || (existing.nic ?? DEFAULT_NIC) !== nic) {
      throw new Error(
        `the lab in ${dir} runs ${existing.nodeCount} ${existing.flavour} ${existingFirmware} node(s) with ${existing.nic ?? DEFAULT_NIC}, not ${nodeCount} ${flavour} ${firmware} with ${nic}: ` +
          `run \`lab.ts down --dir ${dir}\` first`,
      );
    }
    await waitForNodesUp(dir, timeoutMs, signal);
    return labInfo(dir);
  }
  if (existing) await labDown(dir);
  signal?.throwIfAborted();

  const createdDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dirProblem = labDirProblem(dir);
  if (dirProblem !== undefined) throw new Error(`${dirProblem}: root writes and later deletes what the lab keeps there; choose a directory only you can write`);
  const paths = labPaths(dir);
  const state: LabState = {
    version: 1,
    dir,
    slot: 0,
    flavour,
    firmware,
    nic,
    nodeCount,
    bootDelayMs: options.bootDelayMs ?? 2000,
    createdDir,
    created: { netns: [], rootLinks: [], cgroups: [], paths: [], mounts: [] },
  };
  writeState(state);
  try {
    const routes = await rootRoutes();
    signal?.throwIfAborted();
    const slot = allocateSlot(dir, (n) => subnetRouted(routes, n));
    state.slot = slot.slot;
    remember(state, 'slotFile', slot.file);
    for (const p of ['ssh', 'lib', 'drivers', 'nodes', 'block', 'peer', 'inventory.yaml', 'supervisor.log']) {
      remember(state, 'paths', join(dir, p));
    }
    await mountNodesTmpfs(state, join(dir, 'nodes'));
    const lab = labLayout(slot.slot);
    const nodes = Array.from({ length: nodeCount }, (_, i) => nodeLayout(lab, i + 1, dir, facts.oui));

    const [drivers] = await Promise.all([
      packDrivers(DRIVER_SRC, paths.drivers),
      buildShims(SRC, paths.shimDir),
      ensureKeyPair(paths.clientKey, `sriov-lxc lab ${dir}`),
    ]);
    signal?.throwIfAborted();

    await createSwitch(state, lab);
    await createController(state, lab);
    await createPeer(state, lab);
    signal?.throwIfAborted();
    mkdirSync(paths.peerDir, { recursive: true });
    const iperfPid = await startPeerIperf(lab, join(paths.peerDir, 'iperf3.pid'), join(paths.peerDir, 'iperf3.log'));
    state.peerIperf = recordOf(iperfPid);
    writeState(state);
    for (const node of nodes) {
      signal?.throwIfAborted();
      await createNodeNetwork(state, lab, node, facts.line_rate ?? '');
    }

    await Promise.all(nodes.map((n) => installNode(n, flavour, firmware, SRC, paths.shimDir, `${paths.clientKey}.pub`, nic)));
    signal?.throwIfAborted();
    writeKnownHosts(paths.knownHosts, nodes.map((n) => ({ address: n.address, hostKey: nodePaths(n.dir).hostKey })));
    writeFileSync(
      paths.inventory,
      renderInventory({ lab, flavour, nic, nodes, key: paths.clientKey, knownHosts: paths.knownHosts, drivers }),
    );

    for (const cg of labCgroupRoots(slot.slot)) remember(state, 'cgroups', cg);
    const logFd = openSync(paths.supervisorLog, 'a');
    const supervisor = spawn(process.execPath, [SUPERVISOR, dir], { detached: true, stdio: ['ignore', logFd, logFd], cwd: '/' });
    closeSync(logFd);
    if (supervisor.pid === undefined) throw new Error('the lab supervisor did not start');
    state.supervisor = recordOf(supervisor.pid);
    writeState(state);
    supervisor.unref();

    await waitForNodesUp(dir, timeoutMs, signal);
  } catch (error) {
    throw await takeDownAfterFailure(dir, error as Error);
  }
  return labInfo(dir);
}
