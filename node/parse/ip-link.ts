// `ip [-j] [-d] link show` and `ip [-j] addr show` as typed links, including a PF's VF table:
// iproute2's JSON (4.14 and later) or its text (every release; CentOS 7 has only this). One entry,
// parseIpLink, takes either and returns the same shape, so a stage has one code path.
import { ParseError, excerpt } from './parse-error.ts';

export interface VfInfo {
  vf: number;
  mac: string;
  /** 0 when the VF has no VLAN. */
  vlan: number;
  /** 0 when none (or not reported). */
  qos: number;
  /** Mbit/s, 0: no limit; null when not reported. */
  maxTxRate: number | null;
  spoofchk: boolean | null;
  trust: boolean | null;
  linkState: string | null;
}

export interface IpAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
}

export interface IpLink {
  ifname: string;
  ifindex: number | null;
  address: string | null;
  operstate: string | null;
  flags: string[];
  mtu: number | null;
  /** linkinfo.info_kind (veth, macvlan, bridge, ...); null for physical devices or without -d. */
  linkKind: string | null;
  /** The bridge/bond this link is enslaved to. */
  master: string | null;
  /** The lower/peer device in the same namespace (macvlan parent, veth peer). */
  link: string | null;
  /** Set when the peer/lower device is in another network namespace. */
  linkNetnsId: number | null;
  /** PCI address of the device behind the netdev, when iproute2 prints it. */
  parentDev: string | null;
  vfs: VfInfo[];
  /** The addresses `ip addr` lists (none from `ip link`). */
  addresses: IpAddress[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

function parseVf(raw: unknown, ifname: string): VfInfo {
  const vf = isObject(raw) ? num(raw.vf) : null;
  // iproute2 < 5.3 printed the VF MAC as "mac", later versions as "address".
  const mac = isObject(raw) ? (str(raw.address) ?? str(raw.mac)) : null;
  if (!isObject(raw) || vf === null || mac === null) {
    throw new ParseError(`VF entry of ${ifname} without vf number or MAC: ${excerpt(JSON.stringify(raw))}`);
  }
  const vlans = Array.isArray(raw.vlan_list) ? raw.vlan_list : [raw];
  const vlan = vlans.map((v) => (isObject(v) ? num(v.vlan) : null)).find((v) => v !== null) ?? 0;
  const qos = vlans.map((v) => (isObject(v) ? num(v.qos) : null)).find((v) => v !== null) ?? 0;
  const maxTxRate = isObject(raw.rate) ? num(raw.rate.max_tx) : num(raw.max_tx_rate);
  return { vf, mac: mac.toLowerCase(), vlan, qos, maxTxRate, spoofchk: bool(raw.spoofchk), trust: bool(raw.trust), linkState: str(raw.link_state) };
}

function parseAddress(raw: unknown): IpAddress[] {
  if (!isObject(raw)) return [];
  const family = raw.family === 'inet' || raw.family === 'inet6' ? raw.family : null;
  const local = str(raw.local);
  const prefixlen = num(raw.prefixlen);
  return family !== null && local !== null && prefixlen !== null ? [{ family, local, prefixlen }] : [];
}

function parseLink(raw: unknown): IpLink {
  if (!isObject(raw) || typeof raw.ifname !== 'string') {
    throw new ParseError(`ip link entry without ifname: ${excerpt(JSON.stringify(raw))}`);
  }
  const ifname = raw.ifname;
  const linkinfo = isObject(raw.linkinfo) ? raw.linkinfo : {};
  return {
    ifname,
    ifindex: num(raw.ifindex),
    address: str(raw.address),
    operstate: str(raw.operstate),
    flags: Array.isArray(raw.flags) ? raw.flags.filter((f): f is string => typeof f === 'string') : [],
    mtu: num(raw.mtu),
    linkKind: str(linkinfo.info_kind),
    master: str(raw.master),
    link: str(raw.link),
    linkNetnsId: num(raw.link_netnsid),
    parentDev: str(raw.parentdev),
    vfs: Array.isArray(raw.vfinfo_list) ? raw.vfinfo_list.map((vf) => parseVf(vf, ifname)) : [],
    addresses: Array.isArray(raw.addr_info) ? raw.addr_info.flatMap(parseAddress) : [],
  };
}

export function parseIpLinkJson(text: string): IpLink[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ParseError(`ip link output is not JSON: ${excerpt(text)}`, {
      hint: 'run `ip -j link show` (iproute2 with JSON support, 4.14 or later)',
    });
  }
  if (!Array.isArray(data)) {
    throw new ParseError(`ip -j link output is not a list of links: ${excerpt(text)}`);
  }
  return data.map(parseLink);
}

// --- text (ip/ipaddress.c print_linkinfo, print_vfinfo, print_addrinfo) ----------------------------

// "4: vf0@pf0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT ..."
const HEADER = /^(\d+):\s+([^\s:@]+)(?:@(\S+?))?:\s+<([^>]*)>(.*)$/;
// "    vf 0 MAC 52:54:00:..., vlan 2, spoof checking on, ..." (iproute2 < 5.3) and
// "    vf 0     link/ether 52:54:00:... brd ff:ff:ff:ff:ff:ff, spoof checking on, ..." (5.3 and later)
const VF_LINE = /^\s+vf (\d+)\s+(?:MAC ([0-9a-fA-F:]+)|link\/\S+ ([0-9a-fA-F:]+)(?: brd [0-9a-fA-F:]+)?)(.*)$/;
// "    inet 192.0.2.10/24 brd ... scope global eth0", "    inet 10.0.0.1 peer 10.0.0.2/32 scope ..."
const ADDR_LINE = /^\s+(inet6?) ([0-9a-fA-F.:]+)(?:\/(\d+))?(?: peer [0-9a-fA-F.:]+\/(\d+))?/;
// Lines of a link that are neither its kind (-d) nor a VF: the detail line starts with one of them.
const NOT_A_KIND = new Set(['inet', 'inet6', 'vf', 'alias', 'altname', 'valid_lft', 'addrgenmode', 'RX:', 'TX:', 'prop']);

/** The value after `key` among whitespace-separated words (iproute2 prints "key value" pairs). */
function after(words: readonly string[], key: string): string | null {
  const at = words.indexOf(key);
  return at >= 0 && at + 1 < words.length ? (words[at + 1] as string) : null;
}

function onOff(rest: string, key: string): boolean | null {
  const m = new RegExp(`${key} (on|off)\\b`).exec(rest);
  return m ? m[1] === 'on' : null;
}

function textVf(m: RegExpExecArray): VfInfo {
  const rest = m[4] ?? '';
  const vlan = /, vlan (\d+)/.exec(rest);
  const qos = /, qos (\d+)/.exec(rest);
  // ", max_tx_rate 1000Mbps"; older releases print only the deprecated ", tx rate 1000 (Mbps)";
  // neither is printed without a limit (0, as the JSON says).
  const rate = /, max_tx_rate (\d+)Mbps/.exec(rest) ?? /, tx rate (\d+) \(Mbps\)/.exec(rest);
  const state = /link-state (\w+)/.exec(rest);
  return {
    vf: Number(m[1]),
    mac: (m[2] ?? m[3] ?? '').toLowerCase(),
    vlan: vlan ? Number(vlan[1]) : 0,
    qos: qos ? Number(qos[1]) : 0,
    maxTxRate: rate ? Number(rate[1]) : 0,
    spoofchk: onOff(rest, 'spoof checking'),
    trust: onOff(rest, 'trust'),
    linkState: state ? (state[1] as string) : null,
  };
}

function textLink(header: RegExpExecArray): IpLink {
  const [, index, ifname = '', lower, flags = '', rest = ''] = header;
  const words = rest.trim().split(/\s+/);
  const mtu = after(words, 'mtu');
  // "@if7": the peer is in another namespace (its index there); "@NONE": no lower device.
  const link = lower === undefined || /^if\d+$/.test(lower) || lower === 'NONE' ? null : lower;
  return {
    ifname,
    ifindex: Number(index),
    address: null,
    operstate: after(words, 'state'),
    flags: flags === '' ? [] : flags.split(','),
    mtu: mtu === null ? null : Number(mtu),
    linkKind: null,
    master: after(words, 'master'),
    link,
    linkNetnsId: null,
    parentDev: null,
    vfs: [],
    addresses: [],
  };
}

/** `ip [-d] link show` / `ip [-d] addr show` text, as iproute2 3.10 to 6.x print it. */
export function parseIpLinkText(text: string): IpLink[] {
  const links: IpLink[] = [];
  let current: IpLink | undefined;
  let afterLinkLine = false;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const header = HEADER.exec(line);
    if (header) {
      current = textLink(header);
      links.push(current);
      afterLinkLine = false;
      continue;
    }
    if (!current || !/^\s/.test(line)) {
      throw new ParseError(`unexpected line in ip link output: ${excerpt(line)}`, { hint: 'run `ip link show` (without -o or -br)' });
    }
    const words = line.trim().split(/\s+/);
    const first = words[0] as string;
    const vf = VF_LINE.exec(line);
    const addr = ADDR_LINE.exec(line);
    if (vf) {
      current.vfs.push(textVf(vf));
    } else if (first.startsWith('link/')) {
      current.address = first === 'link/none' ? null : (words[1] ?? null);
      const netns = after(words, 'link-netnsid');
      current.linkNetnsId = netns === null || !/^\d+$/.test(netns) ? null : Number(netns);
      current.parentDev = after(words, 'parentdev');
      afterLinkLine = true;
      continue;
    } else if (addr) {
      const family = addr[1] as 'inet' | 'inet6';
      const prefix = addr[3] ?? addr[4];
      current.addresses.push({ family, local: addr[2] as string, prefixlen: prefix === undefined ? (family === 'inet' ? 32 : 128) : Number(prefix) });
    } else if (afterLinkLine && !NOT_A_KIND.has(first) && /^[a-z][a-z0-9_]*$/.test(first)) {
      // -d: the line after link/... starts with the kind (veth, macvlan, bridge, ...)
      current.linkKind = first;
      current.parentDev ??= after(words, 'parentdev');
    } else if (current.parentDev === null) {
      current.parentDev = after(words, 'parentdev');
    }
    afterLinkLine = false;
  }
  return links;
}

/**
 * `ip link show` / `ip addr show` in either format iproute2 prints: JSON (`-j`, 4.14 and later) or
 * text (every release). The same links, whichever the host speaks.
 */
export function parseIpLink(text: string): IpLink[] {
  return text.trimStart().startsWith('[') ? parseIpLinkJson(text) : parseIpLinkText(text);
}

export function findLink(links: readonly IpLink[], ifname: string): IpLink | undefined {
  return links.find((l) => l.ifname === ifname);
}
