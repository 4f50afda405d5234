// A container's LXC config file (lxc.container.conf(5)): `key = value` lines, comments, keys that
// repeat (lxc.cgroup.devices.allow, lxc.mount.entry). Edits keep every other line as it was.
import { ParseError } from './parse-error.ts';
import type { EditResult } from './edit-result.ts';

export interface LxcConfigEntry {
  key: string;
  /** Trimmed, surrounding matching quotes removed as LXC does. */
  value: string;
  /** 1-based line number. */
  line: number;
}

export interface LxcKeyValue {
  key: string;
  value: string;
}

function parseLine(line: string, lineNo: number): LxcConfigEntry | null {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const eq = trimmed.indexOf('=');
  if (eq <= 0) {
    throw new ParseError(`invalid LXC config line ${lineNo}: ${trimmed}`, { hint: 'every line is `key = value` or a # comment' });
  }
  let value = trimmed.slice(eq + 1).trim();
  const q = value.charAt(0);
  if ((q === '"' || q === "'") && value.length > 1 && value.endsWith(q)) value = value.slice(1, -1);
  return { key: trimmed.slice(0, eq).trim(), value, line: lineNo };
}

export function parseLxcConfig(text: string): LxcConfigEntry[] {
  return text.split('\n').flatMap((line, i) => parseLine(line, i + 1) ?? []);
}

/**
 * Makes the file hold exactly `entries` for each key they name (a key given twice keeps two
 * lines, in that order): values are replaced in place, surplus lines of that key removed, missing
 * ones added after the key's last line or at the end. Lines whose key matches `removeKeysMatching`
 * and is not in `entries` are removed (e.g. /^lxc\.net\.0\./ before switching to `phys`).
 * Idempotent.
 */
export function setLxcKeys(text: string, entries: readonly LxcKeyValue[], removeKeysMatching?: RegExp): EditResult {
  const lines = text.split('\n');
  const parsed = lines.map((line, i) => parseLine(line, i + 1));
  const wanted = new Map<string, string[]>();
  for (const { key, value } of entries) wanted.set(key, [...(wanted.get(key) ?? []), value]);

  const replace = new Map<number, string>();
  const insertAfter = new Map<number, string[]>();
  const append: string[] = [];
  const format = (key: string, value: string): string => `${key} = ${value}`;

  for (const [key, values] of wanted) {
    const positions = parsed.flatMap((p, i) => (p?.key === key ? [i] : []));
    positions.forEach((pos, i) => {
      const value = values[i];
      if (value === undefined) replace.set(pos, '');
      else if (parsed[pos]?.value !== value) replace.set(pos, format(key, value));
    });
    const extra = values.slice(positions.length).map((v) => format(key, v));
    const last = positions.at(-1);
    if (extra.length > 0) {
      if (last === undefined) append.push(...extra);
      else insertAfter.set(last, extra);
    }
  }
  if (removeKeysMatching) {
    parsed.forEach((p, i) => {
      if (p && !wanted.has(p.key) && removeKeysMatching.test(p.key)) replace.set(i, '');
    });
  }

  const out: string[] = [];
  lines.forEach((line, i) => {
    const r = replace.get(i);
    if (r === undefined) out.push(line);
    else if (r !== '') out.push(r);
    out.push(...(insertAfter.get(i) ?? []));
  });
  if (append.length > 0) {
    // Keep the file's final newline after the appended lines.
    if (out.at(-1) === '') out.splice(out.length - 1, 0, ...append);
    else out.push(...append, '');
  }
  const result = out.join('\n');
  return { text: result, changed: result !== text };
}
