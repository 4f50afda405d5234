// Huge pages as the running node has them: the hugetlbfs mount and the 2 MB pages reserved now.
import type { Host } from '../../hosts/host.ts';
import type { Read } from '../../hosts/observing-host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HugepagesPlan } from '../../inventory/plan.ts';
import { hasHugetlbfsMount, mountsAt, needsDefaultPageSize, parseProcMounts, type MountEntry } from '../parse/findmnt.ts';
import { parseMeminfo } from '../parse/meminfo.ts';

const POOL = { '2M': 'hugepages-2048kB', '1G': 'hugepages-1048576kB' } as const;
const PAGE_BYTES = { '2M': 2 * 1024 ** 2, '1G': 1024 ** 3 } as const;

export interface HugepagesNow {
  mounted: boolean;
  /**
   * Whether the mount can exist in this boot: the kernel has a pool of that page size (1 GB pools
   * appear only after booting with hugepagesz=1G; the fstab line mounts it then).
   */
  mountable: boolean;
  /** vm.nr_hugepages now (2 MB pages only). */
  reserved: number | undefined;
}

async function mountsOn(host: Host, target: string) {
  const text = await host.readFile('/proc/mounts');
  if (text === undefined) throw new FatalError(`${host.name}: cannot read /proc/mounts`, { hint: 'check that /proc is mounted on the node' });
  return mountsAt(parseProcMounts(text), target);
}

export async function readReserved(host: Host): Promise<number> {
  const text = (await host.run(RESERVED_ARGV)).stdout.trim();
  const n = Number.parseInt(text, 10);
  if (Number.isNaN(n)) throw new FatalError(`sysctl -n vm.nr_hugepages printed ${JSON.stringify(text)}, not a number`, { hint: 'check the kernel supports huge pages (CONFIG_HUGETLBFS)' });
  return n;
}

/**
 * A mount point we may mount over: absent (created), or an empty directory. A directory with files
 * would have them hidden (hugetlbfs over /etc/ssh broke every SSH login), and a link would take
 * the mount somewhere else.
 */
async function checkMountPoint(host: Host, mount: string): Promise<void> {
  const kind = await host.exec(mountPointArgv(mount));
  if (kind.code !== 0) {
    if (/No such file or directory/.test(kind.stderr)) return;
    throw new FatalError(`${host.name}: cannot look at the mount point ${mount}: ${kind.stderr.trim()}`, { hint: 'check the path of hugepages.mount on the node' });
  }
  const type = kind.stdout.trim();
  const refuse = (what: string) =>
    new FatalError(`${host.name}: the hugetlbfs mount point ${mount} ${what}: mounting there would hide or redirect it`, {
      hint: `choose an empty directory of its own for hugepages.mount in the inventory (the default is /mnt/huge), or empty ${mount} first`,
    });
  if (type !== 'directory') throw refuse(`is a ${type}, not a directory`);
  const listing = await host.run(['ls', '-A', '--', mount]);
  const names = listing.stdout.split('\n').filter((n) => n !== '');
  if (names.length > 0) throw refuse(`is not empty (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`);
}

/** The default huge page size in bytes (/proc/meminfo's Hugepagesize): a hugetlbfs mounted without pagesize= has it. */
async function defaultPageBytes(host: Host): Promise<number> {
  const size = parseMeminfo((await host.readFile('/proc/meminfo')) ?? '').get('Hugepagesize');
  if (size === undefined) throw new FatalError(`${host.name}: /proc/meminfo has no Hugepagesize line`, { hint: 'check the kernel supports huge pages (CONFIG_HUGETLBFS)' });
  return size;
}

/** Whether one of `entries` is the planned hugetlbfs, its page size read the way the node's kernel shows it. */
async function plannedMount(host: Host, entries: readonly MountEntry[], plan: HugepagesPlan): Promise<(entry: MountEntry) => boolean> {
  const pages = { bytes: PAGE_BYTES[plan.size], defaultBytes: needsDefaultPageSize(entries, plan.mount) ? await defaultPageBytes(host) : 0 };
  return (entry) => hasHugetlbfsMount([entry], plan.mount, pages);
}

/** Whether the planned hugetlbfs is mounted now (teardown's question; provisioning asks more). */
export async function hugetlbfsMounted(host: Host, plan: HugepagesPlan): Promise<boolean> {
  const entries = await mountsOn(host, plan.mount);
  return entries.some(await plannedMount(host, entries, plan));
}

const poolArgv = (plan: HugepagesPlan): string[] => ['test', '-d', `/sys/kernel/mm/hugepages/${POOL[plan.size]}`];
const RESERVED_ARGV = ['sysctl', '-n', 'vm.nr_hugepages'];

const mountPointArgv = (mount: string): string[] => ['stat', '-c', '%F', '--', mount];
const dirExistsArgv = (mount: string): string[] => ['test', '-d', mount];

/**
 * What readHugepages and recordHugetlbfsFound read, for a batched observation. The mount point's
 * stat too, though only a node without the mount needs it: sent alone, it made the host forget
 * the batch, and the pool, the reserved count and the record went one by one.
 */
export function hugepagesReads(plan: HugepagesPlan): Read[] {
  return [
    { file: '/proc/mounts' },
    { file: '/proc/meminfo' },
    { argv: poolArgv(plan) },
    { argv: RESERVED_ARGV },
    { argv: mountPointArgv(plan.mount) },
    { file: HUGETLBFS_FOUND },
    { argv: dirExistsArgv(plan.mount) },
  ];
}

export async function readHugepages(host: Host, plan: HugepagesPlan): Promise<HugepagesNow> {
  const entries = await mountsOn(host, plan.mount);
  const isPlanned = await plannedMount(host, entries, plan);
  const mounted = entries.some(isPlanned);
  const other = entries.find((e) => !isPlanned(e));
  if (!mounted && other) {
    throw new FatalError(`${host.name}: ${other.fstype} (${other.options.join(',')}) is mounted on ${plan.mount}, not a hugetlbfs of ${plan.size} pages`, {
      hint: `unmount it (umount ${plan.mount}) or choose another hugepages.mount in the inventory`,
    });
  }
  if (!mounted) await checkMountPoint(host, plan.mount);
  const mountable = (await host.exec(poolArgv(plan))).code === 0;
  return { mounted, mountable, reserved: plan.size === '2M' ? await readReserved(host) : undefined };
}

/** Reserved pages short of the plan, in words, or undefined when enough are reserved. */
export function shortfall(plan: HugepagesPlan, now: HugepagesNow): string | undefined {
  if (now.reserved === undefined || now.reserved >= plan.count) return undefined;
  return `${now.reserved} of ${plan.count} ${plan.size} huge pages reserved`;
}

/**
 * What modules-hugepages found on the node before its first change (written once, never over):
 * whether the mount point was a directory already and a hugetlbfs mounted there, so that teardown
 * leaves what was there before provisioning. Kept on the node, as teardown may run from another
 * controller or --local.
 */
export const HUGETLBFS_FOUND = '/var/lib/sriov-lxc/hugetlbfs-found.json';

export interface HugetlbfsFound {
  mount: string;
  dirExisted: boolean;
  mounted: boolean;
}

function isHugetlbfsFound(v: unknown): v is HugetlbfsFound {
  const f = v as Partial<HugetlbfsFound> | null;
  return typeof f?.mount === 'string' && typeof f.dirExisted === 'boolean' && typeof f.mounted === 'boolean';
}

/** The record for `mount`; undefined when there is none (a node provisioned before it was kept) or it names another mount. */
export async function readHugetlbfsFound(host: Host, mount: string): Promise<HugetlbfsFound | undefined> {
  const text = await host.readFile(HUGETLBFS_FOUND);
  if (text === undefined) return undefined;
  let found: unknown;
  try {
    found = JSON.parse(text);
  } catch {
    throw new FatalError(`${host.name}: ${HUGETLBFS_FOUND} is not the JSON sriov-lxc wrote`, { hint: `look at it; remove it if you know what was on ${mount} before provisioning (teardown then unmounts and removes an empty mount point)` });
  }
  return isHugetlbfsFound(found) && found.mount === mount ? found : undefined;
}

/** Records the node as `now` found it, unless a record is there already (the first look counts). */
export async function recordHugetlbfsFound(host: Host, plan: HugepagesPlan, now: HugepagesNow): Promise<void> {
  if ((await host.readFile(HUGETLBFS_FOUND)) !== undefined) return;
  const dirExisted = (await host.exec(dirExistsArgv(plan.mount))).code === 0;
  const found: HugetlbfsFound = { mount: plan.mount, dirExisted, mounted: now.mounted };
  await host.writeFile(HUGETLBFS_FOUND, `${JSON.stringify(found)}\n`, { mode: 0o600, directoryMode: 0o700 });
}
