// Values the schema's syntax accepts but that would harm the node: a hugetlbfs mounted over a
// system directory, benchmark files in a directory every user can write, kernel params that fight
// the tool's own or replace the boot, a command line past the kernel's limit, a memory limit no
// machine has, a template patch outside LXC's files. Each is found before any host is touched.
import { posix } from 'node:path';
import { kernelParamName } from './kernel-params.ts';
import type { HugepagesPlan } from './plan.ts';

export interface Finding {
  /** Path below the host, e.g. ['hugepages', 'mount']. */
  path: (string | number)[];
  value: unknown;
  message: string;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
/** The path as the kernel resolves it, without links: "/./etc/" and "/etc//" are /etc (the schema refuses ".." and "//"). */
const normalised = (p: string) => {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
};

// Directories any local user (or a container sharing them) can write: root must not mount, create
// or write there (a planted link or directory decides where root's writes land).
const WORLD_WRITABLE = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/run/lock', '/var/lock'];
// A mount over these hides what the system needs (mounting hugetlbfs over /etc/ssh broke SSH logins).
const SYSTEM_EXACT = ['/', '/etc', '/usr', '/var', '/boot', '/proc', '/sys', '/dev', '/run', '/root', '/home', '/tmp', '/bin', '/sbin', '/lib', '/lib64', '/opt', '/srv', '/mnt', '/media'];
const SYSTEM_TREES = ['/etc', '/usr', '/boot', '/proc', '/sys', '/dev', '/bin', '/sbin', '/lib', '/lib64', ...WORLD_WRITABLE];

export function hugepagesMountProblem(mount: string): string | undefined {
  const p = normalised(mount);
  if (SYSTEM_EXACT.includes(p) || SYSTEM_TREES.some((d) => under(p, d))) {
    return 'is a system directory (or under one): hugetlbfs mounted there hides what the system needs; use a directory of its own such as /mnt/huge (the default)';
  }
  return undefined;
}

export function fioDirectoryProblem(directory: string): string | undefined {
  const p = normalised(directory);
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

// Params that weaken the node's security for everyone on it: a provisioning tool does not set them
// unless the inventory says it means it (allowUnsafeKernelParams). `when`: unsafe with the values
// it accepts only, read as the kernel reads them; absent: with any value, or as a flag. Names as
// the kernel compares them.
const UNSAFE: Readonly<Record<string, { when?: (value: string | null) => boolean; what: string }>> = {
  'systemd.debug_shell': { what: 'starts a root shell without a password on tty9' },
  'rd.systemd.debug_shell': { what: 'starts a root shell without a password on tty9 from the initramfs' },
  selinux: { when: isZero, what: 'turns SELinux off' },
  enforcing: { when: isZero, what: 'puts SELinux in permissive mode (nothing is denied)' },
  apparmor: { when: isZero, what: 'turns AppArmor off' },
  security: { what: 'chooses the security module (security=none turns it off)' },
  lsm: { what: 'chooses the security modules (and can leave some out)' },
  audit: { when: (v) => v !== null && v !== '1', what: 'turns kernel auditing off (every value but 1 does on some kernel: audit=OFF on all, audit=on on 3.10 ones such as CentOS 7\'s, which read a number)' },
  ima_appraise: { when: (v) => v !== null && ['off', 'fix', 'log'].includes(v.slice(0, 3)), what: 'stops IMA from enforcing file appraisal' },
  mitigations: { when: (v) => v === 'off', what: 'turns off every CPU vulnerability mitigation' },
  nopti: { what: 'turns off kernel page-table isolation (Meltdown)' },
  pti: { when: (v) => v === 'off', what: 'turns off kernel page-table isolation (Meltdown)' },
  spectre_v2: { when: (v) => v === 'off', what: 'turns off the Spectre v2 mitigation' },
  nospectre_v1: { what: 'turns off the Spectre v1 mitigation' },
  nospectre_v2: { what: 'turns off the Spectre v2 mitigation' },
  spec_store_bypass_disable: { when: (v) => v === 'off', what: 'turns off the Speculative Store Bypass mitigation' },
  mds: { when: (v) => v === 'off', what: 'turns off the MDS mitigation' },
  l1tf: { when: (v) => v === 'off', what: 'turns off the L1TF mitigation' },
  nokaslr: { what: 'turns off kernel address space randomisation' },
  nosmap: { what: 'turns off SMAP' },
  nosmep: { what: 'turns off SMEP' },
  sysrq_always_enabled: { what: 'enables every magic SysRq function on the console' },
  iomem: { when: (v) => v === 'relaxed', what: 'lets root programs map device memory the kernel uses through /dev/mem' },
  kgdboc: { what: 'attaches the kernel debugger to a console' },
  kgdbwait: { what: 'stops the boot for the kernel debugger' },
};

/**
 * Whether the kernel reads `value` as 0: selinux=, enforcing= and apparmor= go through
 * kstrtoul(str, 0) (security/selinux/hooks.c, security/apparmor/lsm.c), which takes a leading "+"
 * and a base from the prefix (lib/kstrtox.c): "00", "+0" and "0x0" are 0 as much as "0" is.
 */
function isZero(value: string | null): boolean {
  return value !== null && /^\+?(0[xX]0+|0+)$/.test(value);
}

function unsafeBecause(name: string, value: string | null): string | undefined {
  const unsafe = UNSAFE[name];
  if (!unsafe) return undefined;
  return unsafe.when === undefined || unsafe.when(value) ? unsafe.what : undefined;
}

/** Problems of the inventory's kernelParams, names compared as the kernel compares them (- = _). */
export function kernelParamProblems(params: Readonly<Record<string, string | null>>, hugepages: HugepagesPlan | undefined, allowUnsafe = false): Finding[] {
  const found: Finding[] = [];
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(params)) {
    const name = kernelParamName(key);
    const at = { path: ['kernelParams', key], value: value ?? key };
    const spelled = name === key ? '' : ` (${name} to the kernel, which reads - and _ alike in names)`;
    const twin = seen.get(name);
    seen.set(name, key);
    if (twin !== undefined) {
      found.push({ ...at, message: `is the same parameter as kernelParams.${twin} to the kernel, which reads - and _ alike in names: keep one` });
      continue;
    }
    const owned = ownedBy(name, hugepages);
    const unsafe = unsafeBecause(name, value);
    if (owned) found.push({ ...at, message: `${owned}${spelled}` });
    else if (BOOT_REPLACING.has(name)) found.push({ ...at, message: `replaces what the node boots (init, root device, rescue target)${spelled}: sriov-lxc does not set it; change it by hand if you mean it` });
    else if (unsafe && !allowUnsafe) {
      found.push({ ...at, message: `${unsafe}${spelled}: unsafe for a provisioning tool to set on a shared node; remove it, or set allowUnsafeKernelParams: true for this host if you mean it` });
    }
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
