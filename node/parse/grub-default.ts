// /etc/default/grub: a shell fragment of KEY=value lines. We read and rewrite single assignments
// in place; every other byte (comments, other variables, blank lines) stays as it was.
import { editCmdline } from './cmdline.ts';
import { ParseError } from './parse-error.ts';
import type { EditResult } from './edit-result.ts';

export type QuoteStyle = '"' | "'" | '';

export interface ShellAssignment {
  name: string;
  /** The value as the shell would see it; null when it depends on expansions or mixes quotes. */
  value: string | null;
  /** The quoting of a plain value; null when the value is not one plainly quoted word. */
  style: QuoteStyle | null;
  /** Offsets of the value's raw text (quotes included) in the file. */
  start: number;
  end: number;
  /** 1-based line of the assignment. */
  line: number;
}

const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/;
const BARE_SAFE = /^[A-Za-z0-9_./:,=+@%^-]*$/;

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charAt(i) === '\n') line++;
  return line;
}

function unterminated(text: string, at: number, what: string): ParseError {
  return new ParseError(`unterminated ${what} in /etc/default/grub at line ${lineOf(text, at)}`, {
    hint: 'fix the quoting of that line by hand; `bash -n /etc/default/grub` shows the error too',
  });
}

/** End offset of the shell word starting at `i`. */
function scanWord(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (depth === 0 && /[ \t\n;&|]/.test(c)) break;
    if (c === '\\') {
      i += 2;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw unterminated(text, i, "single quote");
      i = close + 1;
    } else if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text.charAt(j) !== c) j += text.charAt(j) === '\\' ? 2 : 1;
      if (j >= text.length) throw unterminated(text, i, c === '"' ? 'double quote' : 'backquote');
      i = j + 1;
    } else if (c === '$' && text.charAt(i + 1) === '(') {
      depth++;
      i += 2;
    } else {
      if (c === ')' && depth > 0) depth--;
      i++;
    }
  }
  return i;
}

function decodeDoubleQuoted(inner: string): string | null {
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charAt(i);
    if (c === '$' || c === '`') return null;
    if (c === '\\' && i + 1 < inner.length && '$`"\\\n'.includes(inner.charAt(i + 1))) {
      if (inner.charAt(i + 1) !== '\n') out += inner.charAt(i + 1);
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

function classify(raw: string): { value: string | null; style: QuoteStyle | null } {
  if (raw.length >= 2 && raw.startsWith("'") && raw.indexOf("'", 1) === raw.length - 1) {
    return { value: raw.slice(1, -1), style: "'" };
  }
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    const inner = raw.slice(1, -1);
    let j = 0;
    while (j < inner.length && inner.charAt(j) !== '"') j += inner.charAt(j) === '\\' ? 2 : 1;
    if (j >= inner.length) return { value: decodeDoubleQuoted(inner), style: '"' };
  }
  if (BARE_SAFE.test(raw)) return { value: raw, style: '' };
  return { value: null, style: null };
}

/** Every assignment in the file, in order (a variable assigned twice appears twice; the last counts). */
export function parseShellAssignments(text: string): ShellAssignment[] {
  const found: ShellAssignment[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const m = ASSIGNMENT.exec(text.slice(pos, lineEnd));
    let next = lineEnd + 1;
    if (m) {
      const start = pos + m[0].length;
      const end = scanWord(text, start);
      found.push({ name: m[1] as string, ...classify(text.slice(start, end)), start, end, line: lineOf(text, pos) });
      const endNl = text.indexOf('\n', end);
      next = endNl < 0 ? text.length : endNl + 1;
    }
    pos = next;
  }
  return found;
}

/** The value a variable ends up with (its last assignment), or undefined when it is not assigned. */
export function grubVar(text: string, name: string): string | null | undefined {
  return parseShellAssignments(text).findLast((a) => a.name === name)?.value;
}

function quote(value: string, style: QuoteStyle): string {
  if (style === "'" && !value.includes("'")) return `'${value}'`;
  if (style === '' && BARE_SAFE.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    const next = value.charAt(i + 1);
    // A backslash stays literal inside double quotes unless it precedes one of these (or the end).
    if (c === '\\') out += i + 1 === value.length || '$`"\\\n'.includes(next) ? '\\\\' : '\\';
    else if (c === '"' || c === '$' || c === '`') out += `\\${c}`;
    else out += c;
  }
  return `"${out}"`;
}

function replaceOrAppend(text: string, name: string, build: (current: ShellAssignment | undefined) => string | undefined): EditResult {
  const current = parseShellAssignments(text).findLast((a) => a.name === name);
  const raw = build(current);
  if (raw === undefined) return { text, changed: false };
  let out: string;
  if (current) {
    out = text.slice(0, current.start) + raw + text.slice(current.end);
  } else {
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    out = `${text}${sep}${name}=${raw}\n`;
  }
  return { text: out, changed: out !== text };
}

/** Sets a variable (the last assignment, or a new line at the end), keeping its quoting style. */
export function setVar(text: string, name: string, value: string): EditResult {
  return replaceOrAppend(text, name, (current) => quote(value, current?.style ?? ''));
}

/**
 * Sets/replaces kernel params in a GRUB_CMDLINE_LINUX-like variable, token-aware and idempotent
 * (see editCmdline). Creates the variable when absent and there is something to set.
 */
export function setCmdlineParams(
  text: string,
  varName: string,
  params: readonly string[],
  remove: readonly string[] = [],
): EditResult {
  return replaceOrAppend(text, varName, (current) => {
    if (!current) return params.length === 0 ? undefined : quote(editCmdline('', params), '"');
    if (current.value === null || current.style === null) {
      throw new ParseError(`${varName} in /etc/default/grub (line ${current.line}) is not a plain quoted string`, {
        hint: `simplify it to ${varName}="..." without $ or backquotes, then run again`,
      });
    }
    const edited = editCmdline(current.value, params, remove);
    return edited === current.value ? undefined : quote(edited, current.style);
  });
}
