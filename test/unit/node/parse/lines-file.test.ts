import test from 'ava';
import { ensureLines, removeOwnedBlock } from '../../../../node/parse/lines-file.ts';

// The real /etc/modules of Debian 12 (what /etc/modules-load.d/modules.conf links to here).
const debianModules = '# /etc/modules: kernel modules to load at boot time.\n#\n# This file contains the names of kernel modules that should be loaded\n# at boot time, one per line. Lines beginning with "#" are ignored.\n# Parameters can be specified after the module name.\n\n';

test('an owned block is appended once, then replaced in place', (t) => {
  const first = ensureLines(debianModules, ['ixgbe', 'ixgbevf'], { ownedBlock: 'modules' });
  t.true(first.changed);
  t.is(first.text, `${debianModules}# BEGIN sriov-lxc modules\nixgbe\nixgbevf\n# END sriov-lxc modules\n`);
  t.deepEqual(ensureLines(first.text, ['ixgbe', 'ixgbevf'], { ownedBlock: 'modules' }), { text: first.text, changed: false });
  const edited = `${first.text}# a line someone added later\n`;
  const second = ensureLines(edited, ['ixgbe max_vfs=8,8', 'ixgbevf'], { ownedBlock: 'modules' });
  t.is(second.text, `${debianModules}# BEGIN sriov-lxc modules\nixgbe max_vfs=8,8\nixgbevf\n# END sriov-lxc modules\n# a line someone added later\n`);
});

test('sysctl block with a ; comment marker, and two blocks side by side', (t) => {
  const a = ensureLines('', ['vm.nr_hugepages = 512'], { ownedBlock: 'hugepages', commentMarker: ';' }).text;
  t.is(a, '; BEGIN sriov-lxc hugepages\nvm.nr_hugepages = 512\n; END sriov-lxc hugepages\n');
  const b = ensureLines(a, ['x = 1'], { ownedBlock: 'other', commentMarker: ';' }).text;
  t.is(ensureLines(b, ['vm.nr_hugepages = 1024'], { ownedBlock: 'hugepages', commentMarker: ';' }).text,
    '; BEGIN sriov-lxc hugepages\nvm.nr_hugepages = 1024\n; END sriov-lxc hugepages\n; BEGIN sriov-lxc other\nx = 1\n; END sriov-lxc other\n');
});

test('without a block: missing lines appended, present ones left, final newline handled', (t) => {
  t.deepEqual(ensureLines('ixgbe\n', ['ixgbe', 'ixgbevf']), { text: 'ixgbe\nixgbevf\n', changed: true });
  t.deepEqual(ensureLines('ixgbe', ['ixgbe']), { text: 'ixgbe', changed: false });
  t.deepEqual(ensureLines('a', ['b', 'b']), { text: 'a\nb\n', changed: true });
});

test('a broken or doubled block is refused with a hint', (t) => {
  t.throws(() => ensureLines('# BEGIN sriov-lxc m\nx\n', ['y'], { ownedBlock: 'm' }), { message: /not closed/ });
  const twice = '# BEGIN sriov-lxc m\n# END sriov-lxc m\n# BEGIN sriov-lxc m\n# END sriov-lxc m\n';
  t.throws(() => ensureLines(twice, ['y'], { ownedBlock: 'm' }), { message: /there twice/ });
});

test('removeOwnedBlock restores the file as it was', (t) => {
  const withBlock = ensureLines(debianModules, ['ixgbe'], { ownedBlock: 'modules' }).text;
  t.deepEqual(removeOwnedBlock(withBlock, 'modules'), { text: debianModules, changed: true });
  t.deepEqual(removeOwnedBlock(debianModules, 'modules'), { text: debianModules, changed: false });
});
