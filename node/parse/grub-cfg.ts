// A generated grub.cfg (update-grub / grub2-mkconfig output) read as a menu: entries with their
// submenu path, id and kernel params, found the way grub-reboot and grub-set-default name them.
// Also the `grub-editenv list` output.
import { ParseError, excerpt } from './parse-error.ts';

export interface GrubMenuLevel {
  title: string;
  /** The `$menuentry_id_option` / `--id` value. */
  id: string | null;
  /** 0-based position among the items (entries and submenus) of its menu. */
  index: number;
}

export interface GrubMenuEntry extends GrubMenuLevel {
  /** Enclosing submenus, outermost first. */
  submenus: GrubMenuLevel[];
  /** Kernel image of the linux/linux16/linuxefi command, null when the entry boots no Linux. */
  kernel: string | null;
  /** The rest of that command line: the kernel params. */
  params: string | null;
}

interface Frame {
  level: GrubMenuLevel | null;
  isSubmenu: boolean;
  entry: GrubMenuEntry | null;
  children: number;
}

/** Splits a grub script line into words, honouring grub's quotes and backslashes. */
function grubWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line.charAt(i))) i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && !/\s/.test(line.charAt(i))) {
      const c = line.charAt(i);
      if (c === "'") {
        const close = line.indexOf("'", i + 1);
        if (close < 0) throw new ParseError(`unterminated quote in grub.cfg line: ${excerpt(line)}`);
        word += line.slice(i + 1, close);
        i = close + 1;
      } else if (c === '"') {
        i++;
        while (i < line.length && line.charAt(i) !== '"') {
          if (line.charAt(i) === '\\' && i + 1 < line.length) i++;
          word += line.charAt(i++);
        }
        if (i >= line.length) throw new ParseError(`unterminated quote in grub.cfg line: ${excerpt(line)}`);
        i++;
      } else if (c === '\\' && i + 1 < line.length) {
        word += line.charAt(i + 1);
        i += 2;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

function menuLevel(words: string[], index: number): GrubMenuLevel {
  const title = words[1];
  if (title === undefined || title === '{') throw new ParseError(`menu entry without a title: ${words.join(' ')}`);
  let id: string | null = null;
  const idAt = words.findIndex((w, i) => i > 1 && (w === '$menuentry_id_option' || w === '--id'));
  if (idAt > 0 && words[idAt + 1] !== undefined && words[idAt + 1] !== '{') id = words[idAt + 1] as string;
  return { title, id, index };
}

/**
 * memtest86+ is loaded with the same `linux`/`linux16` command (Debian's 20_memtest86+:
 * `linux /boot/memtest86+x64.efi`, `linux16 /boot/memtest86+.bin`; EL's `linux16 /elf-memtest86+-5.01`)
 * but boots no Linux.
 */
function isMemtest(image: string): boolean {
  return /^(elf-)?memtest/i.test(image.slice(image.lastIndexOf('/') + 1));
}

/** Every menu entry of a grub.cfg, in menu order, with the submenus that contain it. */
export function parseGrubCfg(text: string): GrubMenuEntry[] {
  const entries: GrubMenuEntry[] = [];
  const root: Frame = { level: null, isSubmenu: true, entry: null, children: 0 };
  const stack: Frame[] = [root];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const top = stack.at(-1) as Frame;
    if (line === '}') {
      if (stack.length === 1) throw new ParseError('grub.cfg has a "}" that closes nothing', { hint: 'regenerate it with update-grub / grub2-mkconfig' });
      stack.pop();
      continue;
    }
    const command = line.split(/\s/, 1)[0] as string;
    const words = command === 'menuentry' || command === 'submenu' ? grubWords(line) : [];
    if (words.length > 0 && words.at(-1) === '{') {
      const container = [...stack].reverse().find((f) => f.isSubmenu) as Frame;
      const level = menuLevel(words, container.children++);
      if (command === 'submenu') {
        stack.push({ level, isSubmenu: true, entry: null, children: 0 });
      } else {
        const submenus = stack.filter((f) => f.isSubmenu && f.level !== null).map((f) => f.level as GrubMenuLevel);
        const entry: GrubMenuEntry = { ...level, submenus, kernel: null, params: null };
        entries.push(entry);
        stack.push({ level, isSubmenu: false, entry, children: 0 });
      }
    } else if (line.endsWith('{')) {
      stack.push({ level: null, isSubmenu: false, entry: null, children: 0 });
    } else if (top.entry && (command === 'linux' || command === 'linux16' || command === 'linuxefi')) {
      const rest = line.slice(command.length).trim();
      const space = rest.search(/\s/);
      const image = space < 0 ? rest : rest.slice(0, space);
      if (isMemtest(image)) continue;
      top.entry.kernel = image;
      top.entry.params = space < 0 ? '' : rest.slice(space).trim();
    }
  }
  if (stack.length > 1) {
    throw new ParseError('grub.cfg ends inside a menu entry (a "}" is missing)', {
      hint: 'a hand-written entry in /etc/grub.d/40_custom is probably not closed; fix it and regenerate',
    });
  }
  return entries;
}

function matches(level: GrubMenuLevel, component: string): boolean {
  return level.title === component || level.id === component || String(level.index) === component;
}

/**
 * The entry a grub-reboot / grub-set-default argument selects: a number, a title or an id, with
 * submenu components first, joined by ">" ("Advanced options for Debian GNU/Linux>1").
 */
export function findGrubEntry(entries: readonly GrubMenuEntry[], ref: string): GrubMenuEntry | undefined {
  const components = ref.split('>');
  return entries.find((e) => {
    const levels = [...e.submenus, e];
    return levels.length === components.length && levels.every((l, i) => matches(l, components[i] as string));
  });
}

/** The argument that selects `entry` for grub-reboot: ids when every level has one, else titles. */
export function grubEntryRef(entry: GrubMenuEntry): string {
  const levels = [...entry.submenus, entry];
  if (levels.every((l) => l.id !== null)) return levels.map((l) => l.id).join('>');
  if (levels.some((l) => l.title.includes('>'))) {
    throw new ParseError(`menu entry "${entry.title}" cannot be named for grub-reboot: a title has ">" and no id`, {
      hint: 'give the entry an --id in its menuentry line',
    });
  }
  return levels.map((l) => l.title).join('>');
}

/** `grub-editenv FILE list` output (or a grubenv file, whose # padding is skipped). */
export function parseGrubEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      throw new ParseError(`unexpected line in grub environment: ${excerpt(line)}`, {
        hint: 'expected name=value lines from `grub-editenv <file> list`',
      });
    }
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}
