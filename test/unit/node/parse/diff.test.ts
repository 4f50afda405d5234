import test from 'ava';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { unifiedDiff } from '../../../../node/parse/diff.ts';
import { setCmdlineParams, setVar } from '../../../../node/parse/grub-default.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

/** Applies `diff` with GNU patch -p1 in a fresh directory holding `before` at `path`; returns the result. */
function applyWithPatch(t: { teardown(fn: () => void): void }, path: string, before: string | null, diff: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'parse-diff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, path.replace(/^\/+/, ''));
  if (before !== null) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, before);
  }
  execFileSync('patch', ['-p1', '--batch', '--silent', '--remove-empty-files'], { cwd: dir, input: diff });
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

test('known small diff, GNU conventions for hunk ranges', (t) => {
  const diff = unifiedDiff('/etc/x.conf', 'a\nb\nc\n', 'a\nB\nc\n');
  t.is(diff, '--- a/etc/x.conf\n+++ b/etc/x.conf\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
  t.is(unifiedDiff('/f', 'one\n', 'one\ntwo\n'), '--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n one\n+two\n');
  t.is(unifiedDiff('/f', 'x\n', 'x\n'), '');
});

test('a new file diffs against /dev/null and patch creates it', (t) => {
  const after = '# BEGIN sriov-lxc modules\nixgbe\nixgbevf\n# END sriov-lxc modules\n';
  const diff = unifiedDiff('/etc/modules-load.d/sriov-lxc.conf', '', after);
  t.true(diff.startsWith('--- /dev/null\n+++ b/etc/modules-load.d/sriov-lxc.conf\n@@ -0,0 +1,4 @@\n'));
  t.is(applyWithPatch(t, '/etc/modules-load.d/sriov-lxc.conf', null, diff), after);
});

test('real /etc/default/grub edits apply with GNU patch (one hunk and two distant hunks)', (t) => {
  const before = fixture('default-grub-debian12.txt');
  const one = setCmdlineParams(before, 'GRUB_CMDLINE_LINUX', ['intel_iommu=on', 'iommu=pt']).text;
  const diff = unifiedDiff('/etc/default/grub', before, one);
  t.is(diff.match(/^@@/gm)?.length, 1);
  t.is(applyWithPatch(t, '/etc/default/grub', before, diff), one);

  const two = setVar(one, 'GRUB_DEFAULT', 'saved').text + 'GRUB_DISABLE_SUBMENU=y\n';
  const diff2 = unifiedDiff('/etc/default/grub', before, two);
  t.is(diff2.match(/^@@/gm)?.length, 2);
  t.is(applyWithPatch(t, '/etc/default/grub', before, diff2), two);
});

test('missing final newline on either side', (t) => {
  const before = 'a\nb';
  const after = 'a\nb\nc';
  const diff = unifiedDiff('/f', before, after);
  t.is(diff, '--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n');
  t.is(applyWithPatch(t, '/f', before, diff), after);
  t.is(applyWithPatch(t, '/f', 'x\n', unifiedDiff('/f', 'x\n', 'x')), 'x');
});

test('large reshuffles and deletions apply too', (t) => {
  const before = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const afterLines = before.split('\n').slice(0, -1).filter((_, i) => i % 7 !== 3);
  afterLines.splice(10, 0, 'inserted A', 'inserted B');
  afterLines[30] = 'changed';
  const after = afterLines.join('\n') + '\n';
  t.is(applyWithPatch(t, '/srv/list.txt', before, unifiedDiff('/srv/list.txt', before, after)), after);
  t.is(applyWithPatch(t, '/srv/list.txt', before, unifiedDiff('/srv/list.txt', before, '')), null, 'emptied file is removed');
});
