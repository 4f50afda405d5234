// A unified diff of one file (what --dry-run shows and what `patch -p1` applies), computed from
// a line LCS. Small config files only: the quadratic part runs on the changed middle.

/** A planned change to one file, shown by --dry-run and in the plan of a stage's check(). */
export interface FileDiff {
  path: string;
  /** Unified diff text (empty before-content for a new file). */
  diff: string;
}

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Lines with their "\n" kept, so a missing final newline is a difference like any other. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function editScript(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  // lcs[i][j]: LCS length of am[i..] and bm[j..], in one flat array.
  const w = bm.length + 1;
  const lcs = new Uint32Array((am.length + 1) * w);
  for (let i = am.length - 1; i >= 0; i--) {
    for (let j = bm.length - 1; j >= 0; j--) {
      lcs[i * w + j] = am[i] === bm[j] ? (lcs[(i + 1) * w + j + 1] as number) + 1 : Math.max(lcs[(i + 1) * w + j] as number, lcs[i * w + j + 1] as number);
    }
  }
  const ops: Op[] = a.slice(0, pre).map((line) => ({ kind: ' ', line }));
  let i = 0;
  let j = 0;
  while (i < am.length || j < bm.length) {
    if (i < am.length && j < bm.length && am[i] === bm[j]) {
      ops.push({ kind: ' ', line: am[i++] as string });
      j++;
    } else if (j < bm.length && (i >= am.length || (lcs[i * w + j + 1] as number) >= (lcs[(i + 1) * w + j] as number))) {
      ops.push({ kind: '+', line: bm[j++] as string });
    } else {
      ops.push({ kind: '-', line: am[i++] as string });
    }
  }
  // Within a run of changes, removals first, as diff prints them.
  for (let k = 0; k < ops.length; ) {
    let end = k;
    while (end < ops.length && ops[end]?.kind !== ' ') end++;
    const run = ops.slice(k, end);
    ops.splice(k, run.length, ...run.filter((o) => o.kind === '-'), ...run.filter((o) => o.kind === '+'));
    k = end === k ? k + 1 : end;
  }
  ops.push(...a.slice(a.length - suf).map((line) => ({ kind: ' ' as const, line })));
  return ops;
}

function range(start: number, count: number): string {
  // GNU diff: an empty range names the line before it; a single line has no count.
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * Unified diff with `context` lines of context, headers `--- a/<path>` / `+++ b/<path>`
 * (`/dev/null` for a file created or emptied). Empty string when nothing changes.
 */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const ops = editScript(lines(before), lines(after));
  const rel = path.replace(/^\/+/, '');
  const out = [`--- ${before === '' ? '/dev/null' : `a/${rel}`}`, `+++ ${after === '' ? '/dev/null' : `b/${rel}`}`];

  const changed = ops.flatMap((o, i) => (o.kind === ' ' ? [] : [i]));
  let h = 0;
  while (h < changed.length) {
    const first = changed[h] as number;
    let last = first;
    while (h + 1 < changed.length && (changed[h + 1] as number) - last <= 2 * context) last = changed[++h] as number;
    h++;
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length, last + context + 1);
    const preceding = ops.slice(0, from);
    const aStart = preceding.filter((o) => o.kind !== '+').length + 1;
    const bStart = preceding.filter((o) => o.kind !== '-').length + 1;
    const hunk = ops.slice(from, to);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`);
    for (const o of hunk) {
      out.push(o.kind + o.line.replace(/\n$/, ''));
      if (!o.line.endsWith('\n')) out.push('\\ No newline at end of file');
    }
  }
  return `${out.join('\n')}\n`;
}
