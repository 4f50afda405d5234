// /etc/fstab entries (fstab(5)): whitespace-separated fields, spaces written as \040.
import { ParseError } from './parse-error.ts';

export interface FstabEntry {
  spec: string;
  file: string;
  vfstype: string;
  mntops: string[];
  freq: number;
  passno: number;
}

/** Decodes the octal escapes fstab and /proc/mounts use (\040 space, \011 tab, \134 backslash). */
export function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

function escapeField(field: string): string {
  return field.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function parseFstab(text: string): FstabEntry[] {
  return text.split('\n').flatMap((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return [];
    const fields = trimmed.split(/\s+/);
    const [spec, file, vfstype, mntops = 'defaults', freq = '0', passno = '0'] = fields;
    if (fields.length < 3 || fields.length > 6 || !/^\d+$/.test(freq) || !/^\d+$/.test(passno)) {
      throw new ParseError(`invalid fstab line ${i + 1}: ${trimmed}`, {
        hint: 'fields are: spec file vfstype options freq passno (write spaces as \\040)',
      });
    }
    return [{
      spec: unescapeOctal(spec as string),
      file: unescapeOctal(file as string),
      vfstype: vfstype as string,
      mntops: mntops.split(','),
      freq: Number(freq),
      passno: Number(passno),
    }];
  });
}

export function formatFstabEntry(e: FstabEntry): string {
  return [escapeField(e.spec), escapeField(e.file), e.vfstype, e.mntops.join(','), String(e.freq), String(e.passno)].join(' ');
}

/** The entry mounting on `file` (the last one, as mount -a would leave it). */
export function findFstabEntry(entries: readonly FstabEntry[], file: string): FstabEntry | undefined {
  return entries.findLast((e) => e.file === file);
}
