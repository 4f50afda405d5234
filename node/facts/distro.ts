// The node's distribution: read from /etc/os-release by bios-verify, kept in its outputs, and read
// back from there by later stages (which fall back to the node when bios-verify has not run).
import type { Host } from '../../hosts/host.ts';
import type { Distro } from '../../inventory/plan.ts';
import { FatalError } from '../../core/errors.ts';
import { distroFamily, parseOsRelease, type DistroFamily, type OsRelease } from '../parse/os-release.ts';
import { recorded, type OutputKey, type RecordedOutputs } from '../../core/outputs.ts';

export interface NodeDistro {
  id: string;
  versionId: string | null;
  family: DistroFamily;
  idLike: string[];
  prettyName: string | null;
}

// What each inventory `distro:` value accepts: the family and the major version.
const PLANNED: Record<Exclude<Distro, 'auto'>, { family: DistroFamily; major: string }> = {
  centos7: { family: 'rhel', major: '7' },
  debian12: { family: 'debian', major: '12' },
  alma8: { family: 'rhel', major: '8' },
  alma9: { family: 'rhel', major: '9' },
  ubuntu2404: { family: 'debian', major: '24' },
};

/** The inventory's `distro:` values, for messages. */
export const SUPPORTED_DISTROS = `auto, ${Object.keys(PLANNED).join(', ')}`;

export function nodeDistro(release: OsRelease): NodeDistro {
  return { id: release.id, versionId: release.versionId, family: distroFamily(release), idLike: release.idLike, prettyName: release.prettyName };
}

/** The OsRelease the grub helpers take, rebuilt from a NodeDistro. */
export function osReleaseOf(distro: NodeDistro): OsRelease {
  return { id: distro.id, idLike: distro.idLike, versionId: distro.versionId, prettyName: distro.prettyName };
}

export async function readNodeDistro(host: Host): Promise<NodeDistro | undefined> {
  const text = await host.readFile('/etc/os-release');
  return text === undefined ? undefined : nodeDistro(parseOsRelease(text));
}

/** Why the node's distro does not fit the inventory's `distro:` (undefined when it does). */
export function distroMismatch(planned: Distro, distro: NodeDistro): string | undefined {
  const name = distro.prettyName ?? `${distro.id} ${distro.versionId ?? ''}`.trim();
  if (distro.family === 'unknown') return `unsupported distribution "${name}" (/etc/os-release); supported: the RHEL family (CentOS 7, AlmaLinux/Rocky/RHEL 8 and 9) and the Debian family (Debian 12, Ubuntu 24.04); distro: ${SUPPORTED_DISTROS}`;
  if (planned === 'auto') return undefined;
  const want = PLANNED[planned];
  const major = (distro.versionId ?? '').split('.')[0];
  if (distro.family === want.family && major === want.major) return undefined;
  return `the inventory says distro ${planned} but /etc/os-release says "${name}"`;
}

function isNodeDistro(value: unknown): value is NodeDistro {
  const d = value as Partial<NodeDistro> | null;
  return typeof d?.id === 'string' && typeof d.family === 'string' && Array.isArray(d.idLike);
}

/** The distro as bios-verify records it in its outputs. */
const RECORDED_DISTRO: OutputKey<NodeDistro> = { stage: 'bios-verify', field: 'distro', is: isNodeDistro };

/** The distro bios-verify recorded in the run's outputs, else read from the node now. */
export async function distroOf(host: Host, outputs: RecordedOutputs): Promise<NodeDistro> {
  const known = recorded(outputs, RECORDED_DISTRO);
  if (known !== undefined) return known;
  const distro = await readNodeDistro(host);
  if (!distro) {
    throw new FatalError(`${host.name} has no /etc/os-release: cannot tell its distribution`, {
      hint: 'sriov-lxc supports the RHEL family (CentOS 7+) and the Debian family; check the node is one of them',
    });
  }
  return distro;
}
