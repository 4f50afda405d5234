// Rewrites real `ip link/addr show` output of a lab node so that the PFs and VFs look like an
// 82599's: the PF gets the VF list the kernel reports for an SR-IOV PF (vfinfo_list in JSON, `vf N`
// lines in text), and the veth/macvlan traces (`@ifN`, link-netnsid, kind) disappear. The machine's
// ip is iproute2 6.1; `--release 4.11` prints text as CentOS 7's iproute 4.11 does instead (its
// ip/ipaddress.c at tag v4.11.0: `vf N MAC …` lines, and `-d` without the fields added since).
// Run by the node's `ip` wrapper: `node ip-output.ts --json|--text --vfs|--no-vfs [--release R]`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface VfInfo {
  vf: number;
  mac: string;
  vlan: number;
  qos: number;
  maxTxRate: number;
  minTxRate: number;
  spoofchk: boolean;
  trust: boolean;
  queryRss: boolean;
  linkState: 'auto' | 'enable' | 'disable';
}

/** What the simulated hardware reports: per PF, its VFs, or null when its driver is not bound. */
export type PfView = ReadonlyMap<string, readonly VfInfo[] | null>;

const PF_NAMES = ['enp4s0f0', 'enp4s0f1'];

/** The lab's netdevs: the two PFs and the VF netdevs (macvlans on a PF). */
function isLabNetdev(name: string, link: unknown, pfs: PfView): boolean {
  return pfs.has(name) || (typeof link === 'string' && pfs.has(link));
}

function vfinfoJson(vf: VfInfo): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    vf: vf.vf,
    link_type: 'ether',
    address: vf.mac,
    broadcast: 'ff:ff:ff:ff:ff:ff',
    vlan_list: [{ ...(vf.vlan ? { vlan: vf.vlan } : {}), ...(vf.qos ? { qos: vf.qos } : {}) }],
  };
  if (vf.maxTxRate) entry.tx_rate = vf.maxTxRate;
  entry.rate = { max_tx: vf.maxTxRate, min_tx: vf.minTxRate };
  entry.spoofchk = vf.spoofchk;
  entry.link_state = vf.linkState;
  entry.trust = vf.trust;
  entry.query_rss_en = vf.queryRss;
  return entry;
}

export function rewriteJson(text: string, pfs: PfView, withVfs = true): string {
  const links = JSON.parse(text) as Record<string, unknown>[];
  for (const link of links) {
    const name = String(link.ifname);
    if (!isLabNetdev(name, link.link, pfs)) continue;
    delete link.link;
    delete link.link_index;
    delete link.link_netnsid;
    delete link.linkinfo;
    const vfs = pfs.get(name);
    // brief mode (no ifindex) shows no VFs
    if (vfs && withVfs && 'ifindex' in link) link.vfinfo_list = vfs.map(vfinfoJson);
  }
  // `ip -j -p` pretty-prints with four spaces.
  return text.trim().includes('\n') ? JSON.stringify(links, null, 4) : JSON.stringify(links);
}

/** The iproute2 release whose text format is printed. */
export type IprouteRelease = '6.1' | '4.11';

function vfinfoText(vf: VfInfo, release: IprouteRelease): string {
  // print_vfinfo: "vf %d MAC %s" until 5.2, then the link/ether style of print_link_address.
  let line = release === '4.11' ? `    vf ${vf.vf} MAC ${vf.mac}` : `    vf ${vf.vf}     link/ether ${vf.mac} brd ff:ff:ff:ff:ff:ff`;
  if (vf.vlan) line += `, vlan ${vf.vlan}`;
  if (vf.qos) line += `, qos ${vf.qos}`;
  if (vf.maxTxRate) line += `, tx rate ${vf.maxTxRate} (Mbps), max_tx_rate ${vf.maxTxRate}Mbps`;
  if (vf.minTxRate) line += `, min_tx_rate ${vf.minTxRate}Mbps`;
  line += `, spoof checking ${vf.spoofchk ? 'on' : 'off'}, link-state ${vf.linkState}`;
  line += `, trust ${vf.trust ? 'on' : 'off'}, query_rss ${vf.queryRss ? 'on' : 'off'}`;
  return line;
}

const HEADER = /^(\d+): ([^:@\s]+)(@[^:\s]+)?: (.*)$/;
const BRIEF = /^([^\s@]+)(@\S+)?\s+(\S.*)$/;
const KIND = /^(\s+)(?:veth|macvlan(?: mode \S+)?(?: bcqueuelen \d+)?(?: usedbcqueuelen \d+)?(?: flag \S+)?) /;

/**
 * A `-d` line of iproute2 6.1 as 4.11 prints it: 4.11 has no allmulti, minmtu/maxmtu (4.12),
 * tso_/gro_ sizes, parentbus/parentdev; it prints "promiscuity N " straight before what follows.
 */
export function detailsAs411(line: string): string {
  return line
    .replace(/ allmulti \d+/, '')
    .replace(/ minmtu \d+ maxmtu \d+/, '')
    .replace(/ (?:tso_max_size|tso_max_segs|gro_max_size|gso_ipv4_max_size|gro_ipv4_max_size) \d+/g, '')
    .replace(/ parentbus \S+ parentdev \S+/, '')
    .replace(/promiscuity (\d+) {2}/, 'promiscuity $1 ');
}

/** `withVfs`: add the VF lines (ip link; ip addr only with -d, like iproute2). */
export function rewriteText(text: string, pfs: PfView, withVfs = true, release: IprouteRelease = '6.1'): string {
  const out: string[] = [];
  let pending: readonly VfInfo[] | null = null;
  let inLab = false;
  const vfText = (vf: VfInfo): string => vfinfoText(vf, release);
  const flush = (): void => {
    if (pending) out.push(...pending.map(vfText));
    pending = null;
  };
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      flush();
      const [, index, name = '', suffix = '', rest = ''] = header;
      const lower = suffix.startsWith('@') ? suffix.slice(1) : undefined;
      inLab = isLabNetdev(name, lower, pfs);
      pending = inLab && withVfs ? (pfs.get(name) ?? null) : null;
      if (inLab && rest.includes('\\')) {
        // -o: one line per link, its lines joined by backslashes
        // a physical device's details continue the link/ether segment (no kind segment of its own)
        const parts = rest.split('\\').reduce<string[]>((acc, p, i) => {
          if (i > 0 && KIND.test(p)) acc[acc.length - 1] += p.replace(KIND, '');
          else acc.push(p);
          return acc;
        }, []);
        const vfs = (pending ?? []).map(vfText);
        out.push([`${index}: ${name}: ${parts.join('\\').replace(/ link-netnsid \d+/, '')}`, ...vfs].join('\\'));
        pending = null;
        inLab = false;
        continue;
      }
      out.push(inLab ? `${index}: ${name}: ${rest}` : line);
      continue;
    }
    const brief = line.startsWith(' ') ? null : BRIEF.exec(line);
    if (brief && !HEADER.test(line)) {
      flush();
      inLab = false;
      const [, name = '', suffix, rest = ''] = brief;
      const lab = isLabNetdev(name, suffix?.slice(1), pfs);
      out.push(lab && suffix ? `${name.padEnd(16)} ${rest}` : line);
      continue;
    }
    if (inLab && line.trim() === '') continue;
    if (inLab && line.trim().startsWith('link/ether')) {
      out.push(line.replace(/ link-netnsid \d+/, ''));
    } else if (inLab && KIND.test(line) && out.length > 0) {
      // a physical device has no kind line: its details continue the link/ether line
      out[out.length - 1] += line.replace(KIND, '');
    } else if (line.startsWith(' ') || line === '') {
      out.push(line);
    } else {
      flush();
      out.push(line);
    }
  }
  flush();
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return release === '4.11' ? out.map(detailsAs411).join('\n') : out.join('\n');
}

function readState(dir: string, key: string): string | undefined {
  const path = join(dir, key);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/** The PF view from the node's runtime state (/run/sriov-lab); `pfDriver` is the NIC's PF driver. */
export function readPfView(runDir: string, pfDriver = 'ixgbe'): PfView {
  const bound = existsSync(join(runDir, 'modules', pfDriver));
  const view = new Map<string, readonly VfInfo[] | null>();
  for (const pf of PF_NAMES) {
    if (!bound) {
      view.set(pf, null);
      continue;
    }
    const vfDir = join(runDir, 'pf', pf, 'vf');
    const indexes = existsSync(vfDir) ? readdirSync(vfDir).map(Number).sort((a, b) => a - b) : [];
    view.set(
      pf,
      indexes.map((vf) => {
        const dir = join(vfDir, String(vf));
        const num = (key: string): number => Number(readState(dir, key) ?? 0);
        const state = readState(dir, 'link_state');
        return {
          vf,
          mac: readState(dir, 'mac') ?? '00:00:00:00:00:00',
          vlan: num('vlan'),
          qos: num('qos'),
          maxTxRate: num('max_tx_rate'),
          minTxRate: num('min_tx_rate'),
          spoofchk: readState(dir, 'spoofchk') !== 'off',
          trust: readState(dir, 'trust') === 'on',
          queryRss: readState(dir, 'query_rss') === 'on',
          linkState: state === 'enable' || state === 'disable' ? state : 'auto',
        };
      }),
    );
  }
  return view;
}

if (import.meta.main) {
  const [mode, vfs, , releaseArg] = process.argv.slice(2);
  const release: IprouteRelease = releaseArg === '4.11' ? '4.11' : '6.1';
  const input = readFileSync(0, 'utf8');
  const view = readPfView('/run/sriov-lab', process.env.LAB_PF_DRIVER);
  const output = mode === '--json' ? rewriteJson(input, view, vfs !== '--no-vfs') : rewriteText(input, view, vfs !== '--no-vfs', release);
  process.stdout.write(`${output}\n`);
}
