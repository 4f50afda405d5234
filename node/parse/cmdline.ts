// The kernel command line: tokenised like the kernel does (kernel/params.c next_arg), compared
// semantically against the params a plan wants, and edited token by token.
import { ParseError } from './parse-error.ts';

export interface CmdlineParam {
  key: string;
  /** null for a bare flag such as `quiet`. */
  value: string | null;
}

interface Token extends CmdlineParam {
  start: number;
  end: number;
  raw: string;
}

export interface CmdlineCheck {
  ok: boolean;
  /** Wanted params with no occurrence of their key. */
  missing: string[];
  /** Wanted params whose key is there with another value; `found` is the token that counts. */
  conflicting: { param: string; found: string }[];
}

// Params that may appear several times with every occurrence counting (console= adds a console,
// each hugepagesz= opens a pool for the hugepages= after it). For all others the last one wins.
const REPEATABLE = new Set(['console', 'hugepagesz', 'hugepages']);

/** Whether every occurrence of a param counts (console=, hugepagesz=, hugepages=): see REPEATABLE. */
export const isRepeatable = (param: string): boolean => REPEATABLE.has(normalizeKey(parseParam(param).key));

// Comma lists whose order and length matter: max_vfs is one count per port (`ixgbe.max_vfs=8,8`).
// Other comma lists are option sets (`intel_iommu=on,sm_on` has `on`), compared as subsets.
const ORDERED_LIST = /(^|\.)max_vfs$/;

const SPACE = /[ \t\n\v\f\r]/;

/** Kernel param names treat `-` and `_` as the same character (parameq in kernel/params.c). */
export function normalizeKey(key: string): string {
  return key.replaceAll('-', '_');
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    while (pos < text.length && SPACE.test(text.charAt(pos))) pos++;
    if (pos >= text.length) break;
    const start = pos;
    let i = pos;
    let inQuote = false;
    const quoted = text.charAt(i) === '"';
    if (quoted) {
      i++;
      inQuote = true;
    }
    const bodyStart = i;
    let equals = -1;
    for (; i < text.length; i++) {
      const c = text.charAt(i);
      if (!inQuote && SPACE.test(c)) break;
      if (equals < 0 && c === '=' && i > bodyStart) equals = i;
      if (c === '"') inQuote = !inQuote;
    }
    const end = i;
    let body = text.slice(bodyStart, end);
    if (quoted && body.endsWith('"')) body = body.slice(0, -1);
    let key = body;
    let value: string | null = null;
    if (equals >= 0) {
      key = text.slice(bodyStart, equals);
      value = body.slice(equals - bodyStart + 1);
      if (value.startsWith('"')) {
        value = value.slice(1);
        if (value.endsWith('"')) value = value.slice(0, -1);
      }
    }
    tokens.push({ key, value, start, end, raw: text.slice(start, end) });
    pos = end;
  }
  return tokens;
}

/** Index of the bare `--` that ends kernel params (the rest goes to init), or -1. */
function initSeparator(tokens: Token[]): number {
  return tokens.findIndex((t) => t.key === '--' && t.value === null);
}

/** Kernel params of a command line, in order, stopping at `--` (what follows is for init). */
export function parseCmdline(text: string): CmdlineParam[] {
  const tokens = tokenize(text);
  const sep = initSeparator(tokens);
  return (sep < 0 ? tokens : tokens.slice(0, sep)).map(({ key, value }) => ({ key, value }));
}

/** One param as written by a person or a plan (`foo=a b` is one param), not a command line. */
export function parseParam(param: string): CmdlineParam {
  const eq = param.indexOf('=');
  if (param === '' || eq === 0) {
    throw new ParseError(`"${param}" is not a kernel parameter`, { hint: 'write it as key or key=value' });
  }
  return eq < 0 ? { key: param, value: null } : { key: param.slice(0, eq), value: param.slice(eq + 1) };
}

/** A param as the kernel reads it back: quotes around a value with spaces. */
export function formatParam({ key, value }: CmdlineParam): string {
  if (value === null) return key;
  if (SPACE.test(value) && value.includes('"')) {
    throw new ParseError(`the value of ${key} has both spaces and double quotes`, {
      hint: 'the kernel command line cannot carry such a value; drop one of them',
    });
  }
  return SPACE.test(value) ? `${key}="${value}"` : `${key}=${value}`;
}

function valueSatisfies(key: string, wanted: string | null, found: string | null): boolean {
  if (wanted === null) return true;
  if (found === null) return false;
  if (ORDERED_LIST.test(key)) return wanted === found;
  const have = new Set(found.split(','));
  return wanted.split(',').every((v) => have.has(v));
}

/**
 * Does the running command line give every wanted param? A bare wanted flag is satisfied by its
 * key in any form; `key=a,b` by a found list containing a and b (order-sensitive for max_vfs);
 * for a repeated key the last occurrence counts, except for console/hugepagesz/hugepages where any
 * occurrence does.
 */
export function cmdlineSatisfies(actual: string | readonly CmdlineParam[], wanted: readonly string[]): CmdlineCheck {
  const params = typeof actual === 'string' ? parseCmdline(actual) : actual;
  const missing: string[] = [];
  const conflicting: { param: string; found: string }[] = [];
  for (const param of wanted) {
    const want = parseParam(param);
    const key = normalizeKey(want.key);
    const found = params.filter((p) => normalizeKey(p.key) === key);
    const last = found.at(-1);
    if (last === undefined) {
      missing.push(param);
    } else if (REPEATABLE.has(key)) {
      if (!found.some((p) => valueSatisfies(key, want.value, p.value))) {
        conflicting.push({ param, found: found.map(formatParam).join(' ') });
      }
    } else if (!valueSatisfies(key, want.value, last.value)) {
      conflicting.push({ param, found: formatParam(last) });
    }
  }
  return { ok: missing.length === 0 && conflicting.length === 0, missing, conflicting };
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Sets and removes params on a command line text, touching only the tokens concerned: a key whose
 * value does not satisfy the wanted one (see cmdlineSatisfies) gets it in place and its later
 * duplicates are dropped, as only the last would count; a missing key is appended before any `--`. `remove` takes keys (all occurrences) or `key=value`
 * (that occurrence only). Idempotent: a second call returns the text unchanged.
 */
export function editCmdline(text: string, set: readonly string[], remove: readonly string[] = []): string {
  const all = tokenize(text);
  const sep = initSeparator(all);
  let tokens = sep < 0 ? all : all.slice(0, sep);
  const edits: Edit[] = [];
  const drop = (t: Token): void => {
    edits.push({ start: t.start, end: t.end, text: '' });
    tokens = tokens.filter((x) => x !== t);
  };

  for (const r of remove) {
    const target = parseParam(r);
    const key = normalizeKey(target.key);
    const byValue = r.includes('=');
    for (const t of tokens.filter((x) => normalizeKey(x.key) === key && (!byValue || x.value === target.value))) {
      drop(t);
    }
  }

  const appended: string[] = [];
  const wants = set.map(parseParam);
  // A key given twice: the last one counts, as it would on the command line.
  const lastOf = new Map(wants.map((w, i) => [normalizeKey(w.key), i]));
  for (const [i, want] of wants.entries()) {
    const key = normalizeKey(want.key);
    const wantedText = formatParam(want);
    const same = tokens.filter((t) => normalizeKey(t.key) === key);
    if (REPEATABLE.has(key)) {
      if (!same.some((t) => t.value === want.value) && !appended.includes(wantedText)) appended.push(wantedText);
      continue;
    }
    if (lastOf.get(key) !== i) continue;
    const [first, ...later] = same;
    if (first === undefined) {
      appended.push(wantedText);
      continue;
    }
    // Already satisfied (`intel_iommu=on,sm_on` for `intel_iommu=on`): leave the person's choice.
    if (valueSatisfies(key, want.value, (same.at(-1) as Token).value)) continue;
    edits.push({ start: first.start, end: first.end, text: wantedText });
    later.forEach(drop);
  }

  if (appended.length > 0) {
    const words = appended.join(' ');
    const separator = all[sep];
    if (separator !== undefined) {
      edits.push({ start: separator.start, end: separator.start, text: `${words} ` });
    } else {
      // Append after the last token, before any trailing whitespace (a file's final newline).
      const at = text.replace(/[ \t\n\v\f\r]+$/, '').length;
      edits.push({ start: at, end: at, text: at === 0 ? words : ` ${words}` });
    }
  }
  return applyEdits(text, edits);
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) {
    let { start } = e;
    const { end } = e;
    if (e.text === '') {
      // Deleting a token also deletes the whitespace before it (or after it, for the first one).
      while (start > 0 && /[ \t]/.test(out.charAt(start - 1))) start--;
      if (start === 0) {
        let after = end;
        while (after < out.length && /[ \t]/.test(out.charAt(after))) after++;
        out = out.slice(0, start) + out.slice(after);
        continue;
      }
    }
    out = out.slice(0, start) + e.text + out.slice(end);
  }
  return out;
}
