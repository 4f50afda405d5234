// Current mounts, from `findmnt -J` (util-linux >= 2.27) or /proc/mounts (everywhere, EL7 too).
import { unescapeOctal } from './fstab.ts';
import { ParseError, excerpt } from './parse-error.ts';

export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  options: string[];
}

interface FindmntNode {
  target?: unknown;
  source?: unknown;
  fstype?: unknown;
  options?: unknown;
  children?: unknown;
}

function flatten(nodes: unknown, out: MountEntry[]): void {
  if (!Array.isArray(nodes)) return;
  for (const node of nodes as FindmntNode[]) {
    if (typeof node?.target !== 'string') {
      throw new ParseError(`findmnt entry without target: ${excerpt(JSON.stringify(node))}`, {
        hint: 'run `findmnt -J` with the default columns (or add -o TARGET,SOURCE,FSTYPE,OPTIONS)',
      });
    }
    out.push({
      target: node.target,
      source: typeof node.source === 'string' ? node.source : '',
      fstype: typeof node.fstype === 'string' ? node.fstype : '',
      options: typeof node.options === 'string' ? node.options.split(',') : [],
    });
    flatten(node.children, out);
  }
}

/** `findmnt -J` output, the tree flattened in order. */
export function parseFindmntJson(text: string): MountEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ParseError(`findmnt output is not JSON: ${excerpt(text)}`, {
      hint: 'findmnt -J needs util-linux 2.27 or later; read /proc/mounts instead',
    });
  }
  const filesystems = (data as { filesystems?: unknown } | null)?.filesystems;
  if (!Array.isArray(filesystems)) throw new ParseError(`findmnt -J output has no "filesystems" list: ${excerpt(text)}`);
  const out: MountEntry[] = [];
  flatten(filesystems, out);
  return out;
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

/** Is a hugetlbfs mounted on `path` (with pages of `pageSize`, e.g. "2M", when given)? */
export function hasHugetlbfsMount(entries: readonly MountEntry[], path: string, pageSize?: string): boolean {
  const want = withoutTrailingSlash(path);
  return entries.some(
    (e) => e.fstype === 'hugetlbfs' && withoutTrailingSlash(e.target) === want && (pageSize === undefined || e.options.includes(`pagesize=${pageSize}`)),
  );
}
