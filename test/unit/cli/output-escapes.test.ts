// What a dry run and a warning print quote the node (its files, its host key comments, messages
// with node text): escape sequences there must not reach the operator's terminal, where they could
// retitle the window, move the cursor over earlier lines or write the clipboard (OSC 52).
import test from 'ava';
import { renderPlans, warningLine } from '../../../cli/provision-main.ts';
import type { HostResult } from '../../../engine/run.ts';

const ESC = '\u001b';
const OSC_TITLE = `${ESC}]0;owned${ESC}\\`;
const CSI_UP_ERASE = `${ESC}[1A${ESC}[2K`;
const OSC52 = `${ESC}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007`;

function dryRun(line: string, diff: string): HostResult {
  return {
    host: 'node1',
    ok: true,
    status: 'ok',
    reboots: 0,
    durationMs: 1,
    outputs: {},
    stages: [
      { id: 'modules-hugepages', status: 'would-change', changed: false, attempts: 1, durationMs: 1, plan: { done: false, plan: [line], diffs: [{ file: '/etc/fstab', diff }] } },
      { id: 'kernel-cmdline', status: 'done', changed: false, attempts: 1, durationMs: 1, reason: 'nothing to do' },
    ],
  } as HostResult;
}

test('a dry run prints plans and diffs without the escape sequences the node\'s files carried', (t) => {
  const diff = `--- a/etc/fstab\n+++ b/etc/fstab\n@@ -1 +1,2 @@\n # site ${OSC_TITLE}comment\n+hugetlbfs /mnt/huge hugetlbfs pagesize=2M 0 0`;
  const out = renderPlans([dryRun(`edit /etc/fstab (kept: ${CSI_UP_ERASE}forged line)`, diff)]);
  t.false(out.includes(ESC), JSON.stringify(out));
  t.false(out.includes('\u0007'));
  // What a person needs is still there, in order.
  t.regex(out, /^\nnode1 — modules-hugepages would:\n {2}- edit \/etc\/fstab \(kept: .*forged line\)\n {4}--- a\/etc\/fstab\n/);
  t.regex(out, /\+hugetlbfs \/mnt\/huge hugetlbfs pagesize=2M 0 0\n$/);
  t.notRegex(out, /kernel-cmdline/, 'a stage with nothing to change prints nothing');
});

test('a warning keeps its text and loses the escape sequences (OSC 52 clipboard write, BEL)', (t) => {
  const line = warningLine(`host key of node1 (comment "${OSC52}root@node1") pinned on first use`);
  t.false(line.includes(ESC));
  t.false(line.includes('\u0007'));
  t.regex(line, /^warning: host key of node1 \(comment ".*root@node1"\) pinned on first use\n$/);
});

test('nothing to plan prints nothing', (t) => {
  t.is(renderPlans([]), '');
});
