// Kernel modules: `lsmod` and `modinfo -F version`.
import { ParseError, excerpt } from './parse-error.ts';

export interface LoadedModule {
  name: string;
  size: number;
  /** Reference count ("Used by" number). */
  usedBy: number;
  /** Modules that depend on this one. */
  holders: string[];
}

export function parseLsmod(text: string): LoadedModule[] {
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '' || /^Module\s+Size\s+Used by/.test(line)) return [];
    const m = /^(\S+)\s+(\d+)\s+(-?\d+)(?:\s+(\S+))?\s*$/.exec(line);
    if (!m) throw new ParseError(`unexpected lsmod line: ${excerpt(line)}`, { hint: 'expected `lsmod` output' });
    return [{
      name: m[1] as string,
      size: Number(m[2]),
      usedBy: Number(m[3]),
      holders: (m[4] ?? '').split(',').filter((h) => h !== ''),
    }];
  });
}

/** `modinfo -F version MODULE`: the version, or null for modules without one (in-tree ixgbe). */
export function parseModinfoVersion(text: string): string | null {
  const version = text.trim();
  return version === '' ? null : version;
}
