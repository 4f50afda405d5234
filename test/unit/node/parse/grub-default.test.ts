import test from 'ava';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseShellAssignments, grubVar, setVar, setCmdlineParams } from '../../../../node/parse/grub-default.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');
const debian = fixture('default-grub-debian12.txt');
const centos = fixture('default-grub-centos7.txt');

/** Lines that differ between two texts of the same line count. */
function changedLines(a: string, b: string): string[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  return lb.filter((line, i) => la[i] !== line);
}

test('reads the real Debian 12 default file, commented lines are not assignments', (t) => {
  const names = parseShellAssignments(debian).map((a) => a.name);
  t.deepEqual(names, ['GRUB_DEFAULT', 'GRUB_TIMEOUT', 'GRUB_DISTRIBUTOR', 'GRUB_CMDLINE_LINUX_DEFAULT', 'GRUB_CMDLINE_LINUX', 'GRUB_DISABLE_OS_PROBER']);
  t.is(grubVar(debian, 'GRUB_DEFAULT'), '0');
  t.is(grubVar(debian, 'GRUB_CMDLINE_LINUX_DEFAULT'), 'quiet');
  t.is(grubVar(debian, 'GRUB_CMDLINE_LINUX'), '');
  t.is(grubVar(debian, 'GRUB_DISTRIBUTOR'), null, 'a command substitution has no static value');
  t.is(grubVar(debian, 'GRUB_BADRAM'), undefined);
});

test('reads the CentOS 7 default file', (t) => {
  t.is(grubVar(centos, 'GRUB_DEFAULT'), 'saved');
  t.is(grubVar(centos, 'GRUB_CMDLINE_LINUX'), 'crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet');
  t.is(grubVar(centos, 'GRUB_DISTRIBUTOR'), null);
});

test('setCmdlineParams on Debian fills the empty variable and changes only that line', (t) => {
  const params = ['intel_iommu=on', 'iommu=pt', 'ixgbe.max_vfs=8,8'];
  const { text, changed } = setCmdlineParams(debian, 'GRUB_CMDLINE_LINUX', params);
  t.true(changed);
  t.deepEqual(changedLines(debian, text), ['GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt ixgbe.max_vfs=8,8"']);
  t.deepEqual(setCmdlineParams(text, 'GRUB_CMDLINE_LINUX', params), { text, changed: false });
});

test('setCmdlineParams on CentOS replaces intel_iommu in place and keeps the others in order', (t) => {
  const off = setCmdlineParams(centos, 'GRUB_CMDLINE_LINUX', ['intel_iommu=off', 'ixgbe.max_vfs=8,8']).text;
  const { text } = setCmdlineParams(off, 'GRUB_CMDLINE_LINUX', ['intel_iommu=on', 'ixgbe.max_vfs=8,8'], ['rhgb']);
  t.is(grubVar(text, 'GRUB_CMDLINE_LINUX'), 'crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap quiet intel_iommu=on ixgbe.max_vfs=8,8');
  t.deepEqual(changedLines(centos, text), [
    'GRUB_CMDLINE_LINUX="crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap quiet intel_iommu=on ixgbe.max_vfs=8,8"',
  ]);
});

test('quoting style is kept; a bare value gets double quotes once it has spaces', (t) => {
  const single = "A=1\nGRUB_CMDLINE_LINUX='quiet'\n";
  t.is(setCmdlineParams(single, 'GRUB_CMDLINE_LINUX', ['iommu=pt']).text, "A=1\nGRUB_CMDLINE_LINUX='quiet iommu=pt'\n");
  t.is(setCmdlineParams('GRUB_CMDLINE_LINUX=quiet\n', 'GRUB_CMDLINE_LINUX', ['iommu=pt']).text, 'GRUB_CMDLINE_LINUX="quiet iommu=pt"\n');
  t.is(setCmdlineParams('GRUB_CMDLINE_LINUX=""\n', 'GRUB_CMDLINE_LINUX', ['foo=a b']).text, 'GRUB_CMDLINE_LINUX="foo=\\"a b\\""\n');
});

test('creates the variable when absent, appends after a file without final newline', (t) => {
  t.is(setCmdlineParams('GRUB_TIMEOUT=5', 'GRUB_CMDLINE_LINUX', ['iommu=pt']).text, 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="iommu=pt"\n');
  t.deepEqual(setCmdlineParams('X=1\n', 'GRUB_CMDLINE_LINUX_DEFAULT', [], ['intel_iommu']), { text: 'X=1\n', changed: false });
});

test('the last of two assignments is the one edited', (t) => {
  const twice = 'GRUB_CMDLINE_LINUX="a"\n# later override\nGRUB_CMDLINE_LINUX="b"\n';
  t.is(setCmdlineParams(twice, 'GRUB_CMDLINE_LINUX', ['c']).text, 'GRUB_CMDLINE_LINUX="a"\n# later override\nGRUB_CMDLINE_LINUX="b c"\n');
});

test('refuses values with expansions and reports broken quoting with the line', (t) => {
  t.throws(() => setCmdlineParams('GRUB_CMDLINE_LINUX="$EXTRA quiet"\n', 'GRUB_CMDLINE_LINUX', ['iommu=pt']), {
    message: /not a plain quoted string/,
  });
  t.throws(() => parseShellAssignments('A=1\nGRUB_CMDLINE_LINUX="quiet\n'), { message: /unterminated double quote .* line 2/ });
});

test('a multi-line double-quoted value is one assignment', (t) => {
  const text = 'GRUB_CMDLINE_LINUX="quiet\n  splash"\nGRUB_TIMEOUT=5\n';
  t.deepEqual(parseShellAssignments(text).map((a) => [a.name, a.value, a.line]), [
    ['GRUB_CMDLINE_LINUX', 'quiet\n  splash', 1],
    ['GRUB_TIMEOUT', '5', 3],
  ]);
});

test('setVar: GRUB_DEFAULT=saved on Debian, no change when already set, backslashes survive', (t) => {
  const { text, changed } = setVar(debian, 'GRUB_DEFAULT', 'saved');
  t.true(changed);
  t.deepEqual(changedLines(debian, text), ['GRUB_DEFAULT=saved']);
  t.deepEqual(setVar(centos, 'GRUB_DEFAULT', 'saved'), { text: centos, changed: false });
  t.is(setVar('X="a"\n', 'X', 'C:\\dir "q" $HOME').text, 'X="C:\\dir \\"q\\" \\$HOME"\n');
  t.is(grubVar(setVar('', 'X', 'a\\').text, 'X'), 'a\\');
});

test('what we write reads back the same through a real shell', (t) => {
  const values = ['plain', 'two words', 'it\'s', 'C:\\dir\\', '"q" $HOME `id` \\$', 'foo="a b" iommu=pt'];
  for (const value of values) {
    for (const start of ['X=old\n', "X='old'\n", 'X="old"\n', '']) {
      const text = setVar(start, 'X', value).text;
      const out = execFileSync('sh', ['-c', `${text}\nprintf %s "$X"`]).toString();
      t.is(out, value, `${JSON.stringify(start)} → ${JSON.stringify(text)}`);
      t.is(grubVar(text, 'X'), value);
    }
  }
});
