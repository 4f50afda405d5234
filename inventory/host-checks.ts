// Values the schema's syntax accepts but that would harm the node: a hugetlbfs mounted over a
// system directory, benchmark files in a directory every user can write, kernel params that fight
// the tool's own or replace the boot, a command line past the kernel's limit, a memory limit no
// machine has, a template patch outside LXC's files. Each is found before any host is touched.
import type { HugepagesPlan } from './plan.ts';

export interface Finding {
  /** Path below the host, e.g. ['hugepages', 'mount']. */
  path: (string | number)[];
  value: unknown;
  message: string;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
const trimmed = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

// Directories any local user (or a container sharing them) can write: root must not mount, create
// or write there (a planted link or directory decides where root's writes land).
const WORLD_WRITABLE = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/run/lock', '/var/lock'];
// A mount over these hides what the system needs (mounting hugetlbfs over /etc/ssh broke SSH logins).
const SYSTEM_EXACT = ['/', '/etc', '/usr', '/var', '/boot', '/proc', '/sys', '/dev', '/run', '/root', '/home', '/tmp', '/bin', '/sbin', '/lib', '/lib64', '/opt', '/srv', '/mnt', '/media'];
const SYSTEM_TREES = ['/etc', '/usr', '/boot', '/proc', '/sys', '/dev', '/bin', '/sbin', '/lib', '/lib64', ...WORLD_WRITABLE];

export function hugepagesMountProblem(mount: string): string | undefined {
  const p = trimmed(mount);
  if (SYSTEM_EXACT.includes(p) || SYSTEM_TREES.some((d) => under(p, d))) {
    return 'is a system directory (or under one): hugetlbfs mounted there hides what the system needs; use a directory of its own such as /mnt/huge (the default)';
  }
  return undefined;
}

export function fioDirectoryProblem(directory: string): string | undefined {
  const p = trimmed(directory);
  const dir = WORLD_WRITABLE.find((d) => under(p, d));
  if (dir) return `is in ${dir}, which every local user can write: root's benchmark files there could be redirected through planted links; use a directory of its own such as /srv/bench (the default)`;
  return undefined;
}

// Kernel params whose job is to replace what boots or how: a node booted with init=/bin/sh is a
// root shell on the console and no services (no SSH to finish the run).
const BOOT_REPLACING = new Set(['init', 'rdinit', 'root', 'rootfstype', 'rootflags', 'nfsroot', 'systemd.unit', 'rd.systemd.unit', 'single', 's', 'S', '1', 'emergency', 'rescue', 'rd.break', 'rd.shell', 'rd.emergency', 'break', 'BOOT_IMAGE', 'initrd', 'kexec_load_disabled']);

/** Kernel params the tool sets itself: a second value would contradict the planned one. */
function ownedBy(key: string, hugepages: HugepagesPlan | undefined): string | undefined {
  if (key === 'intel_iommu' || key === 'iommu' || key === 'amd_iommu') return 'is set by sriov-lxc from the host\'s iommu: (off, on or pt); choose there, not here';
  if (hugepages && (key === 'hugepages' || key === 'hugepagesz' || key === 'default_hugepagesz')) return 'is set by sriov-lxc from hugepages: (count, size); set them there, not here';
  if (key.endsWith('.max_vfs') || key === 'max_vfs') return 'is set by sriov-lxc from pfs[].vfs and vfCreation; set the VF counts there, not here';
  return undefined;
}

export function kernelParamProblems(params: Readonly<Record<string, string | null>>, hugepages: HugepagesPlan | undefined): Finding[] {
  const found: Finding[] = [];
  for (const [key, value] of Object.entries(params)) {
    const owned = ownedBy(key, hugepages);
    if (owned) found.push({ path: ['kernelParams', key], value: value ?? key, message: owned });
    else if (BOOT_REPLACING.has(key)) found.push({ path: ['kernelParams', key], value: value ?? key, message: 'replaces what the node boots (init, root device, rescue target): sriov-lxc does not set it; change it by hand if you mean it' });
  }
  return found;
}

// x86's COMMAND_LINE_SIZE is 2048 bytes, the terminating NUL included (arch/x86/include/uapi/asm/setup.h);
// the boot loader cuts the rest silently. The node's own params (BOOT_IMAGE=, root=UUID=..., ro,
// crashkernel=, rhgb quiet, console=) are not known here: CentOS 7's and Debian 12's defaults take
// under 200 bytes, so 512 bytes are left for them.
export const COMMAND_LINE_SIZE = 2048;
export const NODE_PARAMS_MARGIN = 512;

export function commandLineProblem(params: readonly string[]): string | undefined {
  const bytes = Buffer.byteLength(params.join(' '), 'utf8');
  const room = COMMAND_LINE_SIZE - 1 - NODE_PARAMS_MARGIN;
  if (bytes <= room) return undefined;
  return `make a kernel command line of ${bytes} bytes; with ${NODE_PARAMS_MARGIN} bytes kept for the node's own params (root=, BOOT_IMAGE=, console=...) at most ${room} fit in the kernel's ${COMMAND_LINE_SIZE} (x86 COMMAND_LINE_SIZE): drop or shorten kernelParams`;
}

const UNIT = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 } as const;
// More than any x86 server takes (the largest hold 24-32 TiB); above it is a typo.
export const MEMORY_MAX_BYTES = 64 * 2 ** 40;

/** `512M` → bytes (a bare number is bytes, as lxc.cgroup memory limits read it). */
export function memoryBytes(size: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(size);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] ? UNIT[m[2] as keyof typeof UNIT] : 1);
}

export function memoryProblem(size: string): string | undefined {
  const bytes = memoryBytes(size);
  if (!Number.isSafeInteger(bytes) || bytes > MEMORY_MAX_BYTES) return 'is more than any machine has (at most 64T, written as 65536G): check the number and its unit';
  if (bytes < 4 * UNIT.M) return 'is too small for a container to start (at least 4M)';
  return undefined;
}

// Where LXC keeps templates, their configs and the containers: the only files a template patch
// may change (a patch on /etc/shadow or /root/.ssh/authorized_keys is not a template patch).
export const TEMPLATE_AREAS = ['/usr/share/lxc', '/usr/local/share/lxc', '/etc/lxc', '/var/lib/lxc'];

export function templatePatchProblem(file: string): string | undefined {
  if (TEMPLATE_AREAS.some((d) => file.startsWith(`${d}/`))) return undefined;
  return `is not a file of LXC's templates or containers: a template patch may change files under ${TEMPLATE_AREAS.join(', ')}`;
}
