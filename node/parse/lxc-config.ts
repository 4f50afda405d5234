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

// LXC before 2.1 numbers no interfaces: every `lxc.network.type` line starts the next one, and the
// `lxc.network.*` lines after it configure that one (lxc.container.conf(5) of LXC 1.0). So the
// first block is interface 0. Since 2.1 the index is in the key (`lxc.net.0.*`).
const LEGACY_NET = /^lxc\.network\./;
const LEGACY_TYPE = 'lxc.network.type';

/** The 0-based line range of legacy interface `index`: its type line up to the next one. */
function legacyBlock(entries: readonly LxcConfigEntry[], index: number, lineCount: number): { start: number; end: number } | undefined {
  const starts = entries.filter((e) => e.key === LEGACY_TYPE).map((e) => e.line - 1);
  const start = starts[index];
  return start === undefined ? undefined : { start, end: starts[index + 1] ?? lineCount };
}

/**
 * The value of `key` of interface `index`: `lxc.net.N.<key>` (LXC >= 2.1: pass the full key) or,
 * for a legacy key `lxc.network.<key>`, the last such line of the index-th `lxc.network.type` block.
 */
export function lxcNetworkValue(text: string, index: number, key: string): string | undefined {
  const entries = parseLxcConfig(text);
  if (!LEGACY_NET.test(key)) return entries.findLast((e) => e.key === key)?.value;
  const block = legacyBlock(entries, index, text.split('\n').length);
  if (!block) return undefined;
  return entries.findLast((e) => e.key === key && e.line - 1 >= block.start && e.line - 1 < block.end)?.value;
}

/**
 * setLxcKeys for interface 0 of a legacy config: the `lxc.network.*` entries are set inside the
 * first `lxc.network.type` block only (other `lxc.network.*` lines of that block removed), so the
 * interfaces after it stay as they are; without any block, they start one at the end.
 */
export function setLegacyFirstNetwork(text: string, entries: readonly LxcKeyValue[]): EditResult {
  const lines = text.split('\n');
  const block = legacyBlock(parseLxcConfig(text), 0, lines.length);
  if (!block) return setLxcKeys(text, entries);
  // keys added to a block followed by another go after its last line, not after the blank lines
  if (block.end < lines.length) while (block.end - 1 > block.start && lines[block.end - 1]?.trim() === '') block.end -= 1;
  // setLxcKeys adds missing keys before a final newline: a block followed by another gets one
  // for the edit, taken off after; the last block already ends with the file's.
  const last = block.end === lines.length;
  const inside = lines.slice(block.start, block.end).join('\n') + (last ? '' : '\n');
  const set = setLxcKeys(inside, entries, LEGACY_NET).text;
  const edited = last ? set : set.replace(/\n$/, '');
  const result = [...lines.slice(0, block.start), edited, ...lines.slice(block.end)].join('\n');
  return { text: result, changed: result !== text };
}
