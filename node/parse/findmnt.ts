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

/** Is a hugetlbfs mounted on `path` (with pages of `pageSize`, e.g. "2M", when given)? */
export function hasHugetlbfsMount(entries: readonly MountEntry[], path: string, pageSize?: string): boolean {
  const want = withoutTrailingSlash(path);
  return entries.some(
    (e) => e.fstype === 'hugetlbfs' && withoutTrailingSlash(e.target) === want && (pageSize === undefined || e.options.includes(`pagesize=${pageSize}`)),
  );
}
