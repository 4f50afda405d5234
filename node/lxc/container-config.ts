// A container's LXC config as the plan wants it, edited into the template's config: the template's
// lines stay; the network becomes the VF (phys) with the planned MAC and address; autostart and
// cgroup limits are set in place; the repeatable keys we add (device rules, hooks, the benchmark
// directory's bind mount) live in one marked block at the end, so a later plan can change or drop
// them.
import { FatalError } from '../../core/errors.ts';
import type { ContainerPlan } from '../../inventory/plan.ts';
import { ensureLines, removeOwnedBlock } from '../parse/lines-file.ts';
import { setLegacyFirstNetwork, setLxcKeys, type LxcKeyValue } from '../parse/lxc-config.ts';
import { lxcConfigKey, type LxcKeyStyle } from '../parse/lxc-version.ts';
import { devicesAllowRule, type DeviceNode } from './devices.ts';
import { AUTODEV_HOOK, START_HOST_HOOK } from './hooks.ts';
import { CONTAINER_IFNAME } from './in-container.ts';

export type CgroupVersion = 'v1' | 'v2';

export interface ConfigInput {
  container: ContainerPlan;
  style: LxcKeyStyle;
  cgroup: CgroupVersion;
  /** The VF's netdev on the host (lxc.net.0.link). */
  netdev: string;
  mac: string;
  devices: readonly DeviceNode[];
  /** The container's directory (lxcpath/name), where the hook scripts are. */
  dir: string;
  /** Bind-mounted at the same path inside, for the benchmark's fio runs. */
  benchDir: string;
  /** A start-host hook re-applies the tc rate at every start (LXC >= 2.1). */
  rateHook: boolean;
}

const BLOCK = 'container';

function singleKeys(i: ConfigInput): LxcKeyValue[] {
  const c = i.container;
  const cg = i.cgroup === 'v2' ? 'lxc.cgroup2' : 'lxc.cgroup';
  const keys: [string, string | undefined][] = [
    ['lxc.net.0.type', 'phys'],
    ['lxc.net.0.link', i.netdev],
    ['lxc.net.0.name', CONTAINER_IFNAME],
    ['lxc.net.0.hwaddr', i.mac],
    ['lxc.net.0.flags', 'up'],
    ['lxc.net.0.ipv4.address', c.address],
    ['lxc.net.0.ipv4.gateway', c.address === undefined ? undefined : c.gateway],
    ['lxc.start.auto', c.autostart ? '1' : '0'],
    ['lxc.autodev', i.devices.length > 0 ? '1' : undefined],
    [i.cgroup === 'v2' ? `${cg}.memory.max` : `${cg}.memory.limit_in_bytes`, c.limits.memory],
    [`${cg}.cpuset.cpus`, c.limits.cpus],
  ];
  return keys.flatMap(([key, value]) => (value === undefined ? [] : [{ key: lxcConfigKey(i.style, key), value }]));
}

function blockLines(i: ConfigInput): string[] {
  const cg = i.cgroup === 'v2' ? 'lxc.cgroup2' : 'lxc.cgroup';
  const lines: string[] = [];
  if (i.devices.length > 0) {
    lines.push(`lxc.hook.autodev = ${i.dir}/${AUTODEV_HOOK}`);
    for (const d of i.devices) lines.push(`${cg}.devices.allow = ${devicesAllowRule(d)}`);
  }
  if (i.rateHook) lines.push(`lxc.hook.start-host = ${i.dir}/${START_HOST_HOOK}`);
  // optional: a missing directory must not keep the container from starting; the benchmark
  // checks that the container sees the host's files there.
  lines.push(`lxc.mount.entry = ${i.benchDir} ${i.benchDir.replace(/^\/+/, '')} none bind,create=dir,optional 0 0`);
  return lines;
}

/** The config text `current` becomes. */
export function configuredText(current: string, i: ConfigInput): string {
  if (i.style === 'legacy' && i.cgroup === 'v2') {
    throw new FatalError('this node uses cgroup v2 only, which LXC before 2.1 cannot configure', {
      hint: 'install LXC 4 or later, or boot the node with the v1 (hybrid) cgroup hierarchy',
    });
  }
  // The template's interface 0 (veth on a bridge) is replaced whole: its other keys (veth.pair,
  // ...) make no sense for phys; its other interfaces stay. Limits the plan no longer has are dropped.
  const limits = String.raw`lxc\.cgroup2?\.(?:memory\.limit_in_bytes|memory\.max|cpuset\.cpus)$`;
  const keys = singleKeys(i);
  // The block is taken out and put back last, so keys the plan adds later land above it.
  let edited = removeOwnedBlock(current, BLOCK).text;
  if (i.style === 'modern') {
    edited = setLxcKeys(edited, keys, new RegExp(String.raw`^(?:lxc\.net\.0\.|${limits})`)).text;
  } else {
    // LXC 1.x: interface 0 is the first lxc.network.type block (lxc-config.ts)
    const isNet = (k: LxcKeyValue) => k.key.startsWith('lxc.network.');
    edited = setLegacyFirstNetwork(edited, keys.filter(isNet)).text;
    edited = setLxcKeys(edited, keys.filter((k) => !isNet(k)), new RegExp(String.raw`^${limits}`)).text;
  }
  return ensureLines(edited, blockLines(i), { ownedBlock: BLOCK }).text;
}
