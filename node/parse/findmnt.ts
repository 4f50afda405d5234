// Current mounts, from /proc/mounts: everywhere the same (findmnt's -J and --mountpoint need
// util-linux 2.27; CentOS 7 has 2.23.2, which refuses them).
import { unescapeOctal } from './fstab.ts';
import { ParseError, excerpt } from './parse-error.ts';

export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  options: string[];
}

/** /proc/mounts (or /proc/self/mounts) lines. */
export function parseProcMounts(text: string): MountEntry[] {
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    const [source, target, fstype, options] = line.split(' ');
    if (options === undefined) throw new ParseError(`unexpected /proc/mounts line ${i + 1}: ${excerpt(line)}`);
    return [{ source: unescapeOctal(source as string), target: unescapeOctal(target as string), fstype: fstype as string, options: options.split(',') }];
  });
}

const withoutTrailingSlash = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, '') : path);

/** The mounts whose mount point is `path`, in mount order (the last one is what the path shows). */
export function mountsAt(entries: readonly MountEntry[], path: string): MountEntry[] {
  const want = withoutTrailingSlash(path);
  return entries.filter((e) => withoutTrailingSlash(e.target) === want);
}

/**
 * A size as the kernel's memparse() reads it: a number with an optional K, M, G, T, P or E suffix
 * in either case (`2M`, `2048k`, `1G`); undefined for anything else.
 */
export function parseKernelSize(text: string): number | undefined {
  const m = /^(\d+)([kmgtpe]?)$/i.exec(text);
  if (!m) return undefined;
  const shift = ' kmgtpe'.indexOf((m[2] || ' ').toLowerCase()) * 10;
  return Number(m[1]) * 2 ** shift;
}

/**
 * The page size of a hugetlbfs mount in bytes. Kernels from 4.15 always show `pagesize=2M`; older
 * ones (CentOS 7's 3.10, 4.4) show the mount options as typed: `pagesize=2048k`, or none at all,
 * which means the default huge page size (`defaultPageBytes`, /proc/meminfo's Hugepagesize).
 * Undefined when the option is there but is not a size.
 */
export function hugetlbfsPageBytes(entry: MountEntry, defaultPageBytes: number): number | undefined {
  const option = entry.options.findLast((o) => o.startsWith('pagesize='));
  return option === undefined ? defaultPageBytes : parseKernelSize(option.slice('pagesize='.length));
}

/** Whether a hugetlbfs without a `pagesize=` option is mounted on `path` (its size is then the default one). */
export function needsDefaultPageSize(entries: readonly MountEntry[], path: string): boolean {
  const want = withoutTrailingSlash(path);
  return entries.some((e) => e.fstype === 'hugetlbfs' && withoutTrailingSlash(e.target) === want && !e.options.some((o) => o.startsWith('pagesize=')));
}

/**
 * Is a hugetlbfs mounted on `path`? With `pages`, only one whose pages are `pages.bytes` long, a
 * mount without `pagesize=` having pages of `pages.defaultBytes`.
 */
export function hasHugetlbfsMount(entries: readonly MountEntry[], path: string, pages?: { bytes: number; defaultBytes: number }): boolean {
  const want = withoutTrailingSlash(path);
  return entries.some(
    (e) =>
      e.fstype === 'hugetlbfs' &&
      withoutTrailingSlash(e.target) === want &&
      (pages === undefined || hugetlbfsPageBytes(e, pages.defaultBytes) === pages.bytes),
  );
}
