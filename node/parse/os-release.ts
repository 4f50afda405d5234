// /etc/os-release (os-release(5)) and what the distro family means for managing grub.
import { FatalError } from '../../core/errors.ts';
import { ParseError } from './parse-error.ts';

export interface OsRelease {
  /** Lower-case id ("debian", "centos"); "linux" when the file has none, as os-release(5) says. */
  id: string;
  idLike: string[];
  versionId: string | null;
  prettyName: string | null;
}

export type DistroFamily = 'rhel' | 'debian' | 'unknown';

export interface GrubCommands {
  /** Regenerates grub.cfg from /etc/default/grub and /etc/grub.d. */
  mkconfig: string[];
  /** argv[0] of the one-shot "boot this entry next time" command. */
  reboot: string;
  editenv: string;
  setDefault: string;
  grubenvPath: string;
  grubCfgPath: string;
}

function unquote(raw: string, line: number): string {
  const q = raw.charAt(0);
  if (q !== '"' && q !== "'") return raw;
  if (raw.length < 2 || !raw.endsWith(q)) {
    throw new ParseError(`unterminated quote in os-release line ${line}`, { hint: 'check /etc/os-release' });
  }
  const inner = raw.slice(1, -1);
  return q === "'" ? inner : inner.replace(/\\([$`"\\])/g, '$1');
}

/** All KEY=value pairs of an os-release file. */
export function parseOsReleaseFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) throw new ParseError(`unexpected os-release line ${i + 1}: ${line}`, { hint: 'check /etc/os-release' });
    fields[m[1] as string] = unquote(m[2] as string, i + 1);
  });
  return fields;
}

export function parseOsRelease(text: string): OsRelease {
  const f = parseOsReleaseFields(text);
  return {
    id: (f.ID ?? 'linux').toLowerCase(),
    idLike: (f.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter((s) => s !== ''),
    versionId: f.VERSION_ID ?? null,
    prettyName: f.PRETTY_NAME ?? null,
  };
}

export function distroFamily(release: OsRelease): DistroFamily {
  const ids = [release.id, ...release.idLike];
  if (ids.some((i) => i === 'rhel' || i === 'centos' || i === 'fedora')) return 'rhel';
  if (ids.some((i) => i === 'debian' || i === 'ubuntu')) return 'debian';
  return 'unknown';
}

/**
 * How grub is driven on this distro. `efi`: booted through UEFI (/sys/firmware/efi exists). EL 7
 * and 8 keep the real grub.cfg on the ESP under EFI/<vendor>/; EL 9 and Debian keep it in /boot.
 */
export function grubCommands(release: OsRelease, options: { efi: boolean }): GrubCommands {
  const family = distroFamily(release);
  if (family === 'debian') {
    return {
      mkconfig: ['update-grub'],
      reboot: 'grub-reboot',
      editenv: 'grub-editenv',
      setDefault: 'grub-set-default',
      grubenvPath: '/boot/grub/grubenv',
      grubCfgPath: '/boot/grub/grub.cfg',
    };
  }
  if (family === 'rhel') {
    const major = Number.parseInt(release.versionId ?? '', 10);
    const vendor = release.id === 'rhel' ? 'redhat' : release.id;
    const onEsp = options.efi && release.id !== 'fedora' && (major === 7 || major === 8);
    const grubCfgPath = onEsp ? `/boot/efi/EFI/${vendor}/grub.cfg` : '/boot/grub2/grub.cfg';
    return {
      mkconfig: ['grub2-mkconfig', '-o', grubCfgPath],
      reboot: 'grub2-reboot',
      editenv: 'grub2-editenv',
      setDefault: 'grub2-set-default',
      grubenvPath: onEsp ? `/boot/efi/EFI/${vendor}/grubenv` : '/boot/grub2/grubenv',
      grubCfgPath,
    };
  }
  throw new FatalError(`unsupported distribution "${release.prettyName ?? release.id}"`, {
    hint: 'supported are the RHEL family (CentOS, Rocky, Alma, Fedora) and the Debian family (Debian, Ubuntu)',
  });
}
