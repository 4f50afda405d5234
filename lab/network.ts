// The lab's network, all real: a switch namespace with a bridge, the peer host's namespace (iperf3
// server), one namespace per node whose PFs (enp4s0f0, enp4s0f1) are veth ends plugged into the
// switch, and a link from the controller (this machine's root namespace) to the switch. Every
// name is recorded in the lab state before it is created.
import { existsSync, readFileSync } from 'node:fs';
import type { LabLayout, NodeLayout } from './layout.ts';
import { labLayout, nodeLayout, PF_NAMES } from './layout.ts';
import { sh, shTry } from './run.ts';
import type { LabState } from './state.ts';
import { readState, remember } from './state.ts';

async function netnsExists(name: string): Promise<boolean> {
  return (await shTry`ip netns list`).stdout.split('\n').some((l) => l.split(' ')[0] === name);
}

async function addNetns(state: LabState, name: string): Promise<void> {
  remember(state, 'netns', name);
  if (!(await netnsExists(name))) await sh`ip netns add ${name}`;
  await sh`ip -n ${name} link set lo up`;
}

async function linkExists(netns: string | undefined, name: string): Promise<boolean> {
  const r = netns ? await shTry`ip -n ${netns} link show dev ${name}` : await shTry`ip link show dev ${name}`;
  return r.exitCode === 0;
}

/** Whether 10.213.<slot>.0/24 overlaps a route of the root namespace (then the slot is unusable). */
export function subnetRouted(routes: readonly string[], slot: number): boolean {
  const net = `10.213.${slot}.`;
  return routes.some((r) => {
    const dst = r.split(' ')[0] ?? '';
    if (dst === 'default') return false;
    const [addr = '', len = '32'] = dst.split('/');
    if (addr.startsWith(net)) return true;
    const bits = Number(len);
    const a = addr.split('.').map(Number);
    if (a.length !== 4 || bits > 24) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    const routeNet = ((((a[0] ?? 0) << 24) | ((a[1] ?? 0) << 16) | ((a[2] ?? 0) << 8) | (a[3] ?? 0)) >>> 0) & mask;
    const ours = (((10 << 24) | (213 << 16) | (slot << 8)) >>> 0) & mask;
    return routeNet === ours;
  });
}

export async function rootRoutes(): Promise<string[]> {
  return (await sh`ip -4 route show table all`).stdout.split('\n').filter(Boolean);
}

export async function createSwitch(state: LabState, lab: LabLayout): Promise<void> {
  await addNetns(state, lab.switchNetns);
  if (!(await linkExists(lab.switchNetns, 'br0'))) {
    await sh`ip -n ${lab.switchNetns} link add br0 type bridge stp_state 0 forward_delay 0`;
  }
  await sh`ip -n ${lab.switchNetns} link set br0 up`;
}

async function plug(lab: LabLayout, port: string): Promise<void> {
  await sh`ip -n ${lab.switchNetns} link set ${port} master br0 up`;
}

export async function createController(state: LabState, lab: LabLayout): Promise<void> {
  remember(state, 'rootLinks', lab.controllerLink);
  if (!(await linkExists(undefined, lab.controllerLink))) {
    await sh`ip link add ${lab.controllerLink} type veth peer name ctl netns ${lab.switchNetns}`;
  }
  await plug(lab, 'ctl');
  await shTry`ip addr add ${`${lab.controllerAddress}/${lab.prefixLength}`} dev ${lab.controllerLink}`;
  await sh`ip link set ${lab.controllerLink} up`;
}

export async function createPeer(state: LabState, lab: LabLayout): Promise<void> {
  await addNetns(state, lab.peerNetns);
  if (!(await linkExists(lab.peerNetns, 'eth0'))) {
    await sh`ip -n ${lab.switchNetns} link add peer type veth peer name eth0 netns ${lab.peerNetns}`;
  }
  await plug(lab, 'peer');
  await shTry`ip -n ${lab.peerNetns} addr add ${`${lab.peerAddress}/${lab.prefixLength}`} dev eth0`;
  await sh`ip -n ${lab.peerNetns} link set eth0 up`;
}

/** Starts the peer's iperf3 server (daemon); returns its pid. */
export async function startPeerIperf(lab: LabLayout, pidFile: string, logFile: string): Promise<number> {
  await sh`ip netns exec ${lab.peerNetns} iperf3 --server --daemon --bind ${lab.peerAddress} --pidfile ${pidFile} --logfile ${logFile}`;
  // iperf3 --daemon writes its pid file after the parent returned: wait for it to appear.
  for (let i = 0; i < 100; i++) {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').replace(/\0/g, '').trim()) : 0;
    if (pid > 0) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`iperf3 on the peer wrote no pid to ${pidFile}`);
}

/** Bits per second of a tc rate with a unit the NIC table uses ("10gbit", "100gbit", "500mbit"). */
export function lineRateBits(rate: string): number {
  const m = /^(\d+)(gbit|mbit|kbit|bit)$/.exec(rate);
  if (!m) throw new Error(`line_rate ${rate}: expected a number and gbit, mbit, kbit or bit`);
  const unit = { gbit: 1e9, mbit: 1e6, kbit: 1e3, bit: 1 }[m[2] as 'gbit' | 'mbit' | 'kbit' | 'bit'];
  return Number(m[1]) * unit;
}

/**
 * Shapes one switch port to the NIC's line rate, both ways, on the switch's side of the link
 * (the node's namespace has no qdisc of the lab's, so `tc` on the node shows only what the tool
 * set): a tbf on the port's egress (towards the node), and the port's ingress (from the node's
 * PF and every VF macvlan on it) redirected to an ifb with the same tbf. The bucket holds 1 ms
 * at the line rate.
 */
async function shapePort(lab: LabLayout, port: string, rate: string): Promise<void> {
  const burst = String(Math.round(lineRateBits(rate) / 8 / 1000));
  const ifb = `${port}i`;
  const ns = lab.switchNetns;
  if (!(await linkExists(ns, ifb))) await sh`ip -n ${ns} link add ${ifb} type ifb`;
  await sh`ip -n ${ns} link set ${ifb} up`;
  for (const dev of [port, ifb]) await sh`tc -n ${ns} qdisc replace dev ${dev} root tbf rate ${rate} burst ${burst} latency 20ms`;
  await shTry`tc -n ${ns} qdisc del dev ${port} ingress`;
  await sh`tc -n ${ns} qdisc add dev ${port} handle ffff: ingress`;
  await sh`tc -n ${ns} filter add dev ${port} parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev ${ifb}`;
}

/**
 * Shapes every node's switch ports of the running lab in `dir` to `rate` instead of its NIC model's
 * line rate, until the lab is taken down: a test's knob (lab/README "line rate"). A rate below
 * what this machine reaches under load makes the link, not the machine's load, what the host and
 * the containers measure.
 */
export async function labLineRate(dir: string, rate: string): Promise<void> {
  lineRateBits(rate);
  const state = readState(dir);
  if (!state) throw new Error(`no lab in ${dir}`);
  const lab = labLayout(state.slot);
  for (let i = 1; i <= state.nodeCount; i++) {
    for (const port of nodeLayout(lab, i, state.dir).switchPorts) await shapePort(lab, port, rate);
  }
}

export async function createNodeNetwork(state: LabState, lab: LabLayout, node: NodeLayout, lineRate: string): Promise<void> {
  await addNetns(state, node.netns);
  for (const [i, pf] of PF_NAMES.entries()) {
    const port = node.switchPorts[i] ?? '';
    if (!(await linkExists(node.netns, pf))) {
      await sh`ip -n ${lab.switchNetns} link add ${port} type veth peer name ${pf} netns ${node.netns}`;
      await sh`ip -n ${node.netns} link set ${pf} address ${node.pfMacs[i] ?? ''}`;
    }
    await plug(lab, port);
    await shapePort(lab, port, lineRate);
  }
}

/** Removes what the state names; missing pieces are fine (a crashed `up`). */
export async function destroyNetwork(state: LabState): Promise<void> {
  for (const link of state.created.rootLinks) await shTry`ip link del ${link}`;
  for (const ns of state.created.netns) {
    if (!(await netnsExists(ns))) continue;
    const pids = (await shTry`ip netns pids ${ns}`).stdout.split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await shTry`ip netns del ${ns}`;
  }
}
