// What the node has of each planned container, next to what the plan wants: its config file, its
// hook scripts, its state and, when it runs, what its network namespace shows (the VF, the
// address, the default route, the tc limit). Read-only.
import type { Host } from '../../hosts/host.ts';
import type { Read } from '../../hosts/observing-host.ts';
import { FatalError } from '../../core/errors.ts';
import type { ContainerPlan, HostPlan } from '../../inventory/plan.ts';
import { ipArgv, type Iproute } from '../facts/iproute.ts';
import { parseIpLink } from '../parse/ip-link.ts';
import { defaultGateway, parseIpRoutes } from '../parse/ip-route.ts';
import { lxcNetworkValue } from '../parse/lxc-config.ts';
import { parseLxcInfo, type LxcInfo } from '../parse/lxc-info.ts';
import { lxcConfigKey, lxcKeyStyle, parseLxcVersion, type LxcKeyStyle } from '../parse/lxc-version.ts';
import { findVf, VF_VERIFY_ID, type VfVerifyOutputs } from '../vfs/outputs.ts';
import { configuredText, type CgroupVersion } from './container-config.ts';
import { parseStatDevice, statDeviceArgv, type DeviceNode } from './devices.ts';
import { AUTODEV_HOOK, autodevHook, START_HOST_HOOK, startHostHook } from './hooks.ts';
import { CONTAINER_IFNAME, inNetns } from './in-container.ts';
import { classesAtRate, hasOurRootQdisc, rateCommands } from './traffic-limit.ts';

export const ATTACH_TIMEOUT_MS = 30_000;

export interface NodeFacts {
  iproute: Iproute;
  style: LxcKeyStyle;
  version: string;
  cgroup: CgroupVersion;
  lxcpath: string;
}

export interface HookFile {
  path: string;
  content: string;
  current: string | undefined;
}

/** What the container's network namespace shows while it runs. */
export interface Inside {
  /** The interface carrying the planned MAC (the VF), or null when it is not in there. */
  ifname: string | null;
  addresses: string[];
  gateway: string | null;
  /** Our htb root qdisc with both classes at the planned rate; null when no rate is planned. */
  rateOk: boolean | null;
  /** Our htb root is there (to remove it when the plan has no rate any more). */
  ourQdisc: boolean;
}

export interface ContainerView {
  plan: ContainerPlan;
  dir: string;
  configPath: string;
  /** The config as it is; undefined: the container does not exist. */
  config: string | undefined;
  /** The config as it should be; undefined while it cannot be known (no container, no VF netdev). */
  wanted: string | undefined;
  /** The VF's host netdev (lxc.net.0.link), or why it is not known. */
  vf: { netdev: string } | { problem: string };
  mac: string;
  hooks: HookFile[];
  /** null when the container does not exist. */
  info: LxcInfo | null;
  inside: Inside | null;
}

const LXC_VERSION_ARGV = ['lxc-create', '--version'];
const LXCPATH_ARGV = ['lxc-config', 'lxc.lxcpath'];

/** What nodeFacts reads, for a batched observation. */
export const NODE_FACTS_READS: readonly Read[] = [{ argv: LXC_VERSION_ARGV }, { file: '/sys/fs/cgroup/cgroup.controllers' }, { argv: LXCPATH_ARGV }];

/**
 * What observeContainer reads of a container that runs as planned (its VF named eth0 inside), for
 * a batched observation; `extra`: the caller's own reads of it.
 */
export function containerReads(facts: NodeFacts, c: ContainerPlan, extra: readonly Read[] = []): Read[] {
  const dir = `${facts.lxcpath}/${c.name}`;
  const attach = (argv: readonly string[]): Read => ({ argv: inNetns(c.name, argv), timeoutMs: ATTACH_TIMEOUT_MS });
  return [
    { file: `${dir}/config` },
    { argv: ['lxc-info', '-n', c.name] },
    ...c.devices.map((path) => ({ argv: statDeviceArgv(path) })),
    { file: `${dir}/${AUTODEV_HOOK}` },
    { file: `${dir}/${START_HOST_HOOK}` },
    attach(ipArgv(facts.iproute, ['addr', 'show'])),
    attach(ipArgv(facts.iproute, ['route', 'show', 'default'])),
    attach(['tc', 'qdisc', 'show', 'dev', CONTAINER_IFNAME]),
    ...(c.rate !== undefined ? [attach(['tc', 'class', 'show', 'dev', CONTAINER_IFNAME])] : []),
    ...extra,
  ];
}

/** LXC's version, key style, cgroup hierarchy and lxcpath on the node; `iproute` as vf-verify learnt it. */
export async function nodeFacts(host: Host, iproute: Iproute): Promise<NodeFacts> {
  const version = (await host.run(LXC_VERSION_ARGV)).stdout.trim();
  // cgroup.controllers at the root: the unified (v2-only) hierarchy. A hybrid node mounts v2 at
  // /sys/fs/cgroup/unified and its controllers are v1, whose keys lxc.cgroup.* are.
  const v2 = (await host.readFile('/sys/fs/cgroup/cgroup.controllers')) !== undefined;
  return { iproute, style: lxcKeyStyle(parseLxcVersion(version)), version, cgroup: v2 ? 'v2' : 'v1', lxcpath: await lxcPathOf(host) };
}

/** Where the node's LXC keeps its containers. */
export async function lxcPathOf(host: Host): Promise<string> {
  return (await host.run(LXCPATH_ARGV)).stdout.trim() || '/var/lib/lxc';
}

function plannedMac(plan: HostPlan, c: ContainerPlan): string {
  const mac = plan.pfs.find((pf) => pf.name === c.vf.pf)?.macs[c.vf.index];
  if (mac === undefined) {
    throw new FatalError(`container ${c.name} wants VF ${c.vf.index} of ${c.vf.pf}, which the plan does not have`, {
      hint: `list ${c.vf.pf} under pfs with at least ${c.vf.index + 1} VFs in the inventory`,
    });
  }
  return mac;
}

/**
 * The VF's host netdev from vf-verify. A VF inside a running container is not in the host
 * namespace: its name is then the link of that container's config (LXC gives it back under it),
 * which also serves a dry run on a node where vf-verify's outputs are not in the checkpoint yet
 * (the check from inside then proves the VF by its MAC).
 */
function resolveVf(vfs: Pick<VfVerifyOutputs, 'pfs'> | undefined, c: ContainerPlan, config: string | undefined, style: LxcKeyStyle, running: boolean): ContainerView['vf'] {
  const linkKey = lxcConfigKey(style, 'lxc.net.0.link');
  const link = config === undefined ? undefined : lxcNetworkValue(config, 0, linkKey);
  const held = running && link !== undefined ? { netdev: link } : undefined;
  if (vfs === undefined) return held ?? { problem: `the netdev of VF ${c.vf.index} of ${c.vf.pf} is known after ${VF_VERIFY_ID} has run` };
  const vf = findVf(vfs, c.vf.pf, c.vf.index);
  if (vf === undefined) return { problem: `${VF_VERIFY_ID} found no VF ${c.vf.index} on ${c.vf.pf}` };
  if (vf.netdev !== null) return { netdev: vf.netdev };
  return held ?? { problem: `VF ${c.vf.index} of ${c.vf.pf} (${vf.pci}) has no netdev in the host namespace: another container may hold it` };
}

async function devices(host: Host, c: ContainerPlan): Promise<DeviceNode[]> {
  const nodes: DeviceNode[] = [];
  for (const path of c.devices) {
    const result = await host.exec(statDeviceArgv(path));
    if (result.code !== 0) {
      throw new FatalError(`device ${path} of container ${c.name} does not exist on ${host.name}`, {
        hint: 'fix containers[].devices in the inventory, or attach the device to the node',
      });
    }
    nodes.push(parseStatDevice(path, result.stdout));
  }
  return nodes;
}

async function inside(host: Host, iproute: Iproute, c: ContainerPlan, mac: string): Promise<Inside> {
  const addrText = (await host.run(inNetns(c.name, ipArgv(iproute, ['addr', 'show'])), { timeoutMs: ATTACH_TIMEOUT_MS })).stdout;
  const vf = parseIpLink(addrText).find((l) => l.address?.toLowerCase() === mac) ?? null;
  const ifname = vf?.ifname ?? null;
  const routes = parseIpRoutes((await host.run(inNetns(c.name, ipArgv(iproute, ['route', 'show', 'default'])), { timeoutMs: ATTACH_TIMEOUT_MS })).stdout);
  let rateOk: boolean | null = null;
  let ourQdisc = false;
  if (ifname !== null) {
    const qdisc = (await host.run(inNetns(c.name, ['tc', 'qdisc', 'show', 'dev', ifname]), { timeoutMs: ATTACH_TIMEOUT_MS })).stdout;
    ourQdisc = hasOurRootQdisc(qdisc);
    if (c.rate !== undefined) {
      const classes = ourQdisc ? (await host.run(inNetns(c.name, ['tc', 'class', 'show', 'dev', ifname]), { timeoutMs: ATTACH_TIMEOUT_MS })).stdout : '';
      rateOk = ourQdisc && classesAtRate(classes, c.rate);
    }
  }
  const addresses = (vf?.addresses ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  return { ifname, addresses, gateway: defaultGateway(routes), rateOk, ourQdisc };
}

/** `vfs`: the VFs vf-verify recorded (undefined before it has run). */
export async function observeContainer(host: Host, plan: HostPlan, vfs: Pick<VfVerifyOutputs, 'pfs'> | undefined, facts: NodeFacts, c: ContainerPlan): Promise<ContainerView> {
  const dir = `${facts.lxcpath}/${c.name}`;
  const configPath = `${dir}/config`;
  const config = await host.readFile(configPath);
  const mac = plannedMac(plan, c);
  const info = config === undefined ? null : parseLxcInfo((await host.run(['lxc-info', '-n', c.name])).stdout);
  const running = info?.state === 'RUNNING';
  const vf = resolveVf(vfs, c, config, facts.style, running);
  const nodes = await devices(host, c);
  const rateHook = facts.style === 'modern' && c.rate !== undefined;
  const hooks: HookFile[] = [];
  if (nodes.length > 0) hooks.push({ path: `${dir}/${AUTODEV_HOOK}`, content: autodevHook(c.name, nodes), current: undefined });
  if (rateHook && c.rate !== undefined) hooks.push({ path: `${dir}/${START_HOST_HOOK}`, content: startHostHook(c.name, rateCommands(CONTAINER_IFNAME, c.rate)), current: undefined });
  for (const h of hooks) h.current = await host.readFile(h.path);
  const wanted = config === undefined || !('netdev' in vf)
    ? undefined
    : configuredText(config, { container: c, style: facts.style, cgroup: facts.cgroup, netdev: vf.netdev, mac, devices: nodes, dir, benchDir: plan.benchmark.fio.directory, rateHook });
  return { plan: c, dir, configPath, config, wanted, vf, mac, hooks, info, inside: running ? await inside(host, facts.iproute, c, mac) : null };
}
