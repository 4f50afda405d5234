// /proc/meminfo (proc(5)): "Name:   value kB" lines; sizes in kibibytes, counts without a unit.
import { ParseError } from './parse-error.ts';

/** Every field, in bytes for sized ones (kB × 1024) and as the number for counts (HugePages_Total). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (m) fields.set(m[1]!, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return fields;
}

/** MemTotal in bytes. */
export function memTotalBytes(text: string): number {
  const total = parseMeminfo(text).get('MemTotal');
  if (total === undefined) throw new ParseError('/proc/meminfo has no MemTotal line', { hint: 'check that /proc is mounted on the node' });
  return total;
}
