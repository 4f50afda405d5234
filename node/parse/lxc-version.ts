// The LXC version (`lxc-info --version`, `lxc-create --version`) and the config key names it
// understands. LXC 2.1 introduced the current keys (lxc.net.N.*, lxc.uts.name, lxc.rootfs.path)
// and deprecated the old ones; LXC 3.0 removed the old ones. So 2.1 and later get the current
// keys, 1.x and 2.0 (CentOS 7's EPEL ships 1.0) the legacy ones.
import { FatalError } from '../../core/errors.ts';
import { ParseError, excerpt } from './parse-error.ts';

export interface LxcVersion {
  major: number;
  minor: number;
  patch: number;
}

export type LxcKeyStyle = 'legacy' | 'modern';

export function parseLxcVersion(text: string): LxcVersion {
  // Distribution builds may append a suffix: "5.0.0~git2209-g5a7b9ce67".
  const m = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) {
    throw new ParseError(`not an LXC version: ${excerpt(text)}`, { hint: 'expected the output of `lxc-info --version`' });
  }
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

export function lxcKeyStyle(version: LxcVersion): LxcKeyStyle {
  return version.major > 2 || (version.major === 2 && version.minor >= 1) ? 'modern' : 'legacy';
}

// Current key → its pre-2.1 name, for the keys this project writes.
const LEGACY_NAMES: Record<string, string> = {
  'lxc.uts.name': 'lxc.utsname',
  'lxc.rootfs.path': 'lxc.rootfs',
  'lxc.apparmor.profile': 'lxc.aa_profile',
  'lxc.tty.max': 'lxc.tty',
  'lxc.pty.max': 'lxc.pts',
  'lxc.signal.halt': 'lxc.haltsignal',
  'lxc.log.file': 'lxc.logfile',
  'lxc.init.cmd': 'lxc.init_cmd',
  'lxc.mount.fstab': 'lxc.mount',
  'lxc.idmap': 'lxc.id_map',
};

const LEGACY_NET_NAMES: Record<string, string> = {
  'ipv4.address': 'ipv4',
  'ipv6.address': 'ipv6',
};

/**
 * The name of a config key (written in current form) for the given style. Legacy network keys
 * have no index: each `lxc.network.type` opens the next interface, so only interface 0 is mapped.
 */
export function lxcConfigKey(style: LxcKeyStyle, key: string): string {
  if (style === 'modern') return key;
  const net = /^lxc\.net\.(\d+)\.(.+)$/.exec(key);
  if (net) {
    const [, index, rest] = net as unknown as [string, string, string];
    if (index !== '0') {
      throw new FatalError(`${key} has no equivalent in LXC before 2.1`, {
        hint: 'give the container a single network interface, or use LXC 2.1 or later',
      });
    }
    return `lxc.network.${LEGACY_NET_NAMES[rest] ?? rest}`;
  }
  return LEGACY_NAMES[key] ?? key;
}
