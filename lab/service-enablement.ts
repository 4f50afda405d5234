// What decides which services a host starts at its next boot, recorded before the lab installs
// packages and put back after (lab/setup.ts): the links systemd reads (/etc/systemd/system/*.wants,
// *.requires, and the unit links directly in /etc/systemd/system: a package's Alias= links, and the
// masks, links to /dev/null), SysV's /etc/rc?.d links, and the records of Debian's
// deb-systemd-helper about masks (/var/lib/systemd/deb-systemd-helper-masked/).
//
// Behaviour taken from deb-systemd-helper (init-system-helpers 1.65.2, Debian 12,
// script/deb-systemd-helper) and debhelper's postinst/postrm-systemd autoscripts:
// - a postinst runs `unmask` (removes a mask link only when its record in -masked/ exists, and the
//   record), then `was-enabled` (every link listed in -enabled/UNIT.dsh-also is present; no list
//   counts as enabled) and `enable` (links + records) or, when not, `update-state` (records only);
// - a postrm `remove` masks (link + -masked/ record), `purge` removes the listed links, the
//   -enabled/ records and the mask.
// The -enabled/ records the install wrote stay: with its links gone they are exactly what Debian
// leaves for an installed unit that is not enabled (a `preset` policy of disable writes them without
// links), so `was-enabled` answers disabled, an upgrade's postinst keeps it disabled (update-state),
// and purge cleans up. Removing them would make the next upgrade take the unit for a new install
// and enable it.
import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

const RC_DIRS = ['rc0.d', 'rc1.d', 'rc2.d', 'rc3.d', 'rc4.d', 'rc5.d', 'rc6.d', 'rcS.d'];
const MASKED_RECORDS = 'var/lib/systemd/deb-systemd-helper-masked';

export interface EnablementState {
  /** Each link (absolute path under the root) and its target. */
  links: Map<string, string>;
  /** The mask records of deb-systemd-helper, as paths relative to its -masked/ directory. */
  maskRecords: Set<string>;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).map((name) => join(dir, name));
  } catch {
    return [];
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Regular files under a directory (not following links), relative to it. */
function files(dir: string, under = dir): string[] {
  return entries(dir).flatMap((p) => {
    const st = lstatSync(p);
    if (st.isDirectory()) return files(p, under);
    return st.isFile() ? [relative(under, p)] : [];
  });
}

/** The host's (or `root`'s) enablement state now. */
export function enablementState(root: string): EnablementState {
  const systemd = join(root, 'etc', 'systemd', 'system');
  const top = entries(systemd);
  const linkPaths = [
    ...top.filter(isLink),
    ...top.filter((d) => /\.(wants|requires)$/.test(d) && isDir(d)).flatMap((d) => entries(d).filter(isLink)),
    ...RC_DIRS.flatMap((d) => entries(join(root, 'etc', d)).filter(isLink)),
  ];
  return {
    links: new Map(linkPaths.map((p) => [p, readlinkSync(p)])),
    maskRecords: new Set(files(join(root, MASKED_RECORDS))),
  };
}

/** The unit a link or record is for: its name without SysV's S01/K01. */
function unitOf(path: string): string {
  return basename(path).replace(/^[SK]\d\d/, '');
}

/**
 * Puts the enablement state back as `before` had it: links the install made are removed, links it
 * removed or changed are made again, and deb-systemd-helper's mask records follow their masks.
 * Returns the units whose next boot the install had changed, for the message.
 */
export function restoreEnablement(root: string, before: EnablementState): { disabled: string[]; restored: string[] } {
  const now = enablementState(root);
  const disabled = new Set<string>();
  const restored = new Set<string>();
  for (const [path, target] of now.links) {
    if (before.links.get(path) === target) continue;
    rmSync(path, { force: true });
    if (!before.links.has(path)) disabled.add(unitOf(path));
  }
  for (const [path, target] of before.links) {
    if (now.links.get(path) === target) continue;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    rmSync(path, { force: true });
    symlinkSync(target, path);
    restored.add(unitOf(path));
  }
  const records = join(root, MASKED_RECORDS);
  for (const record of now.maskRecords) if (!before.maskRecords.has(record)) rmSync(join(records, record), { force: true });
  for (const record of before.maskRecords) {
    if (now.maskRecords.has(record)) continue;
    mkdirSync(dirname(join(records, record)), { recursive: true, mode: 0o755 });
    // deb-systemd-helper's records are empty files (it touches them); made anew, never through a link.
    rmSync(join(records, record), { force: true });
    writeFileSync(join(records, record), '', { mode: 0o644, flag: 'wx' });
  }
  return { disabled: [...disabled].sort(), restored: [...restored].sort() };
}
