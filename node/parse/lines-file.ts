// Idempotent edits of line-based config files (modules-load.d, sysctl.d, fstab): a block of lines
// we own, delimited by marker comments and replaced in place, or single lines ensured present.
import { ParseError } from './parse-error.ts';
import type { EditResult } from './edit-result.ts';

export interface EnsureLinesOptions {
  /** What starts a comment in this file; used for the block markers. */
  commentMarker?: string;
  /** Name of our managed block; without it, missing lines are appended one by one. */
  ownedBlock?: string;
}

const markers = (marker: string, name: string): [string, string] => [
  `${marker} BEGIN sriov-lxc ${name}`,
  `${marker} END sriov-lxc ${name}`,
];

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

const joinLines = (lines: string[]): string => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

/** [begin, end] line indexes of the block, or null when the file has none. */
function findBlock(lines: string[], marker: string, name: string): [number, number] | null {
  const [begin, end] = markers(marker, name);
  const starts = lines.flatMap((l, i) => (l.trimEnd() === begin ? [i] : []));
  if (starts.length === 0) return null;
  const start = starts[0] as number;
  const stop = lines.findIndex((l, i) => i > start && l.trimEnd() === end);
  if (starts.length > 1 || stop < 0) {
    throw new ParseError(`the "${name}" block we manage is ${starts.length > 1 ? 'there twice' : 'not closed'}`, {
      hint: `edit the file so it has one "${begin}" … "${end}" block (or none), then run again`,
    });
  }
  return [start, stop];
}

/** Our block holds exactly `wanted` (created at the end when missing); or each wanted line is present. */
export function ensureLines(text: string, wanted: readonly string[], options: EnsureLinesOptions = {}): EditResult {
  const marker = options.commentMarker ?? '#';
  const lines = splitLines(text);
  let out: string[];
  if (options.ownedBlock === undefined) {
    const present = new Set(lines.map((l) => l.trim()));
    out = [...lines, ...wanted.filter((w, i) => !present.has(w.trim()) && wanted.indexOf(w) === i)];
  } else {
    const [begin, end] = markers(marker, options.ownedBlock);
    const block = findBlock(lines, marker, options.ownedBlock);
    out = block
      ? [...lines.slice(0, block[0] + 1), ...wanted, ...lines.slice(block[1])]
      : [...lines, begin, ...wanted, end];
  }
  const result = joinLines(out);
  // A file without final newline only gains one when we actually add something.
  const same = result === text || result === `${text}\n`;
  return same ? { text, changed: false } : { text: result, changed: true };
}

/** The lines inside our block, or null when the file has none. */
export function ownedBlockLines(text: string, name: string, commentMarker = '#'): string[] | null {
  const lines = splitLines(text);
  const block = findBlock(lines, commentMarker, name);
  return block ? lines.slice(block[0] + 1, block[1]) : null;
}

/** Removes our block (teardown). */
export function removeOwnedBlock(text: string, name: string, commentMarker = '#'): EditResult {
  const lines = splitLines(text);
  const block = findBlock(lines, commentMarker, name);
  if (!block) return { text, changed: false };
  return { text: joinLines([...lines.slice(0, block[0]), ...lines.slice(block[1] + 1)]), changed: true };
}
