// `ip -j [-d] link show` (iproute2 JSON) as typed links, including a PF's VF table (vfinfo_list).
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

export function findLink(links: readonly IpLink[], ifname: string): IpLink | undefined {
  return links.find((l) => l.ifname === ifname);
}
