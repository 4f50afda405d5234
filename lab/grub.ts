// What a lab node's firmware needs of GRUB: the menu of a grub.cfg written by grub-mkconfig (entries,
// submenus, ids, `linux` lines, the default expression of its header) and the grubenv block
// (saved_entry, next_entry), the Boot Loader Specification entries that GRUB's `blscfg` command adds
// to the menu (EL8+), and the EFI system partition's stub that points GRUB at the real grub.cfg.
// Pure functions over file contents.

export interface MenuEntry {
  kind: 'entry';
  title: string;
  id?: string;
  /** The kernel image and its parameters, from the entry's `linux` (or linux16/linuxefi) line. */
  linux?: { image: string; args: string };
}

export interface Submenu {
  kind: 'submenu';
  title: string;
  id?: string;
  children: MenuNode[];
}

export type MenuNode = MenuEntry | Submenu;

export interface GrubConfig {
  /** The `set default=` of the header's else-branch, e.g. `0` or `${saved_entry}`. */
  defaultExpr: string;
  /** Whether the header honours a one-shot `next_entry` from grubenv. */
  honoursNextEntry: boolean;
  menu: MenuNode[];
  /**
   * Variables grub.cfg sets only when grubenv did not (`if [ -z "${kernelopts}" ]; then set
   * kernelopts="…"; fi`, EL8's 10_linux), with the value it sets.
   */
  unsetDefaults: Map<string, string>;
}

/** Splits a line into words the way GRUB's script lexer does for quotes and escapes. */
export function grubWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line.charAt(++i);
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line.charAt(++i);
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function menuId(words: readonly string[]): string | undefined {
  const at = words.findIndex((w) => w === '$menuentry_id_option' || w === '--id');
  return at >= 0 ? words[at + 1] : undefined;
}

/** One /boot/loader/entries/*.conf file: its name and text. */
export interface BlsFile {
  file: string;
  text: string;
}

/** The keys of a BLS entry ("key value" lines), the first of each key. */
function blsKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\w+)\s+(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#') && !keys.has(m[1] as string)) keys.set(m[1] as string, m[2] as string);
  }
  return keys;
}

/** Version-aware comparison of two names, like rpm's vercmp on the digits and letters. */
function compareVersions(a: string, b: string): number {
  const parts = (s: string): string[] => s.match(/\d+|[a-z]+/gi) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (nx !== ny) {
      return nx ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/**
 * The menu entries `blscfg` makes of the BLS files: newest first (GRUB's blscfg sorts the entries
 * by version, descending), id = the file name without `.conf`, the `linux` key with `options`.
 */
export function blsMenuEntries(files: readonly BlsFile[]): MenuEntry[] {
  return files
    .filter((f) => f.file.endsWith('.conf'))
    .map((f) => ({ id: f.file.slice(0, -'.conf'.length), keys: blsKeys(f.text) }))
    .sort((a, b) => compareVersions(b.id, a.id))
    .map(({ id, keys }) => {
      const image = keys.get('linux');
      return { kind: 'entry' as const, title: keys.get('title') ?? id, id, ...(image ? { linux: { image, args: keys.get('options') ?? '' } } : {}) };
    });
}

/**
 * Where the stub grub.cfg on the EFI system partition sends GRUB: the directory of its
 * `configfile $prefix/grub.cfg`, relative to the root file system. A prefix outside /boot is on
 * the /boot partition the stub searched for (EL9's `($dev)/grub2`); Ubuntu's names `/boot/grub`.
 */
export function efiStubConfigDir(stub: string): string | undefined {
  let prefix: string | undefined;
  for (const raw of stub.split('\n')) {
    const words = grubWords(raw.trim());
    if (words[0] === 'set' && words[1]?.startsWith('prefix=')) prefix = words[1].slice('prefix='.length).replace(/^\([^)]*\)/, '');
    if (words[0] === 'configfile' && words[1] !== undefined && prefix !== undefined) {
      const dir = words[1].replace(/\$\{?prefix\}?/, prefix).replace(/\/grub\.cfg$/, '');
      return (dir.startsWith('/boot/') ? dir : `/boot${dir}`).replace(/^\//, '');
    }
  }
  return undefined;
}

export function parseGrubConfig(text: string, bls: readonly BlsFile[] = []): GrubConfig {
  const root: MenuNode[] = [];
  const stack: { node?: MenuNode; children: MenuNode[] }[] = [{ children: root }];
  let defaultExpr = '0';
  let honoursNextEntry = false;
  let inNextEntryElse = false;
  const unsetDefaults = new Map<string, string>();
  let ifUnset: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = grubWords(line);
    const head = words[0];
    const top = stack[stack.length - 1];
    if (!top) throw new Error('grub.cfg: unbalanced braces');
    if (head === 'menuentry' || head === 'submenu') {
      const title = words[1] ?? '';
      const id = menuId(words);
      const node: MenuNode =
        head === 'menuentry'
          ? { kind: 'entry', title, ...(id ? { id } : {}) }
          : { kind: 'submenu', title, ...(id ? { id } : {}), children: [] };
      top.children.push(node);
      stack.push({ node, children: node.kind === 'submenu' ? node.children : [] });
      continue;
    }
    if (line === '}') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    if (head === 'blscfg') {
      top.children.push(...blsMenuEntries(bls));
      continue;
    }
    if ((head === 'linux' || head === 'linux16' || head === 'linuxefi') && top.node?.kind === 'entry') {
      // GRUB hands the kernel its words joined by single spaces, quotes removed.
      top.node.linux = { image: words[1] ?? '', args: words.slice(2).join(' ') };
      continue;
    }
    if (stack.length === 1) {
      const unset = /^if \[ -z "\$\{(\w+)\}" \]; then$/.exec(line);
      if (unset) ifUnset = unset[1];
      if (ifUnset !== undefined && head === 'set' && words[1]?.startsWith(`${ifUnset}=`)) unsetDefaults.set(ifUnset, words[1].slice(ifUnset.length + 1));
      if (line === 'fi') ifUnset = undefined;
      if (line.startsWith('if [ "${next_entry}" ]')) honoursNextEntry = true;
      if (honoursNextEntry && line === 'else') inNextEntryElse = true;
      if (line === 'fi') inNextEntryElse = false;
      if (inNextEntryElse && head === 'set' && words[1]?.startsWith('default=')) {
        defaultExpr = words[1].slice('default='.length);
      }
    }
  }
  return { defaultExpr, honoursNextEntry, menu: root, unsetDefaults };
}

/**
 * The entry GRUB boots for a `default` value: an index path ("0", "1>2"), an id, or a title,
 * each level separated by `>`. GRUB falls back to the first entry when nothing matches.
 */
export function resolveEntry(menu: readonly MenuNode[], spec: string): MenuEntry | undefined {
  const first = (nodes: readonly MenuNode[]): MenuEntry | undefined => {
    for (const n of nodes) {
      if (n.kind === 'entry') return n;
      const inner = first(n.children);
      if (inner) return inner;
    }
    return undefined;
  };
  let nodes: readonly MenuNode[] = menu;
  let found: MenuNode | undefined;
  for (const part of spec.split('>')) {
    found = /^\d+$/.test(part) ? nodes[Number(part)] : nodes.find((n) => n.id === part || n.title === part);
    if (!found) return first(menu);
    if (found.kind === 'submenu') nodes = found.children;
  }
  return found?.kind === 'entry' ? found : first(menu);
}

const ENV_HEADER = '# GRUB Environment Block\n';
export const GRUBENV_SIZE = 1024;

/** Variables of a grubenv block, in file order. */
export function parseGrubEnv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes('=')) continue;
    const at = line.indexOf('=');
    vars.set(line.slice(0, at), line.slice(at + 1));
  }
  return vars;
}

/**
 * The block with one variable set, as GRUB's save_env leaves it: the comment lines at its top
 * kept, the variables in order, padded with `#` to 1024 bytes.
 */
export function setGrubEnvVar(text: string, key: string, value: string): string {
  const comments: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#') || /^#+$/.test(line)) break;
    comments.push(line);
  }
  const vars = parseGrubEnv(text);
  vars.set(key, value);
  let body = comments.length > 0 ? `${comments.join('\n')}\n` : ENV_HEADER;
  for (const [k, v] of vars) body += `${k}=${v}\n`;
  if (Buffer.byteLength(body) > GRUBENV_SIZE) throw new Error('grubenv: variables exceed the 1024-byte block');
  return body + '#'.repeat(GRUBENV_SIZE - Buffer.byteLength(body));
}

/** `${name}` references in a GRUB word, replaced from the environment block (unset = empty). */
export function expandGrubVars(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => env.get(a ?? b ?? '') ?? '');
}
