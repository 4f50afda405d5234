// `grubby --info=ALL` / `--info=DEFAULT` output (EL8+, the grubby-bls script): one block per Boot
// Loader Specification entry, `index=N` first, then `key="value"` lines (kernel, args, root,
// initrd, title, id). Samples: test/fixtures/parse/grubby-info-*.txt (sources named there).
import { ParseError, excerpt } from './parse-error.ts';

export interface GrubbyEntry {
  index: number;
  /** The kernel image as grubby names it (with /boot in front when /boot is its own file system). */
  kernel: string;
  /** The entry's options without root=. */
  args: string;
  /** The root= value, '' when the options have none. */
  root: string;
  title: string;
  /** The BLS id: the entry's file name in /boot/loader/entries without `.conf`. */
  id: string;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

export function parseGrubbyInfo(text: string): GrubbyEntry[] {
  const blocks: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ParseError(`unexpected line in grubby --info output: ${excerpt(line)}`, { hint: 'expected key="value" lines from `grubby --info=ALL`' });
    const key = line.slice(0, eq);
    const value = unquote(line.slice(eq + 1));
    if (key === 'index') blocks.push({});
    const block = blocks.at(-1);
    if (!block) throw new ParseError(`grubby --info output does not start with index=: ${excerpt(line)}`);
    block[key] = value;
  }
  return blocks.map((b) => {
    const index = Number(b.index);
    if (!Number.isInteger(index) || b.id === undefined || b.kernel === undefined) {
      throw new ParseError(`grubby --info printed an entry without index, kernel or id (index=${b.index ?? '?'})`, { hint: 'check the BLS files in /boot/loader/entries' });
    }
    return { index, kernel: b.kernel, args: b.args ?? '', root: b.root ?? '', title: b.title ?? b.id, id: b.id };
  });
}

/** The kernel params of an entry as the kernel gets them: root= first, then the args. */
export function grubbyParams(entry: GrubbyEntry): string {
  return [entry.root ? `root=${entry.root}` : '', entry.args].filter((s) => s !== '').join(' ');
}
