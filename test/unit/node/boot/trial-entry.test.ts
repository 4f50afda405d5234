// The trial entry's pure parts on small hand-made grub.cfg and BLS texts, one rule each: which
// lines open an entry and which close it, how the entry is found again, the panic rule, the three
// linux commands, the BLS copy, and the grub-mkconfig header that clears a one-shot.
import test from 'ava';
import { ParseError } from '../../../../node/parse/parse-error.ts';
import { parseGrubCfg, type GrubMenuEntry } from '../../../../node/parse/grub-cfg.ts';
import { honoursNextEntry, menuEntryBodies, menuEntryBody, renderBlsTrial, renderTrialScript, trialParamsFor, trialTitle } from '../../../../node/boot/trial-entry.ts';

const CFG = [
  "menuentry 'Debian' --class debian --id gnulinux-simple-1 {",
  '\tload_video',
  "\tif [ x$feature_platform_search_hint = xy ]; then",
  '\t  search --no-floppy --fs-uuid --set=root 1111',
  '\tfi',
  '\t# a comment that ends with {',
  '\tlinux\t/boot/vmlinuz-6.1 root=/dev/vda1 ro quiet',
  '\tinitrd\t/boot/initrd.img-6.1',
  '}',
  "submenu 'Advanced options' --id gnulinux-advanced-1 {",
  "\tmenuentry 'Debian, with Linux 6.1' --id gnulinux-6.1-advanced-1 {",
  '\t\tlinux\t/boot/vmlinuz-6.1 root=/dev/vda1 ro',
  '\t}',
  "\tmenuentry 'Debian, with Linux 6.1 (recovery mode)' --id gnulinux-6.1-recovery-1 {",
  '\t\tlinux\t/boot/vmlinuz-6.1 root=/dev/vda1 ro single',
  '\t}',
  '}',
  '',
].join('\n');

test('bodies: the lines between each menuentry and its closing brace; a submenu opens none; a comment ending in { opens no block', (t) => {
  const bodies = menuEntryBodies(CFG);
  t.is(bodies.length, 3);
  t.deepEqual(bodies[0], CFG.split('\n').slice(1, 8));
  t.deepEqual(bodies[1], ['\t\tlinux\t/boot/vmlinuz-6.1 root=/dev/vda1 ro']);
  t.deepEqual(bodies[2], ['\t\tlinux\t/boot/vmlinuz-6.1 root=/dev/vda1 ro single']);
  // `menuentry_id_option=...` and a menuentry line that does not open a block are no entries.
  t.deepEqual(menuEntryBodies('menuentry_id_option="--id"\nmenuentryx {\n}\n'), []);
  t.deepEqual(menuEntryBodies("  menuentry 'x' {\n  linux /k a\n  }\n"), [['  linux /k a']]);
  // A block inside an entry (a hand-written one's) closes before the entry does.
  t.deepEqual(menuEntryBodies("menuentry 'x' {\n  linux /k a\n  if true; then {\n    echo y\n  }\n  initrd /i\n}\n"), [['  linux /k a', '  if true; then {', '    echo y', '  }', '  initrd /i']]);
});

test('an entry is found again by title, id, place and submenu depth; one that is not there is refused with the way out', (t) => {
  const entries = parseGrubCfg(CFG);
  t.is(entries.length, 3);
  t.deepEqual(menuEntryBody(CFG, entries[2]!), ['\t\tlinux\t/boot/vmlinuz-6.1 root=/dev/vda1 ro single']);
  const missing = (e: GrubMenuEntry) => t.throws(() => menuEntryBody(CFG, e), { instanceOf: ParseError });
  const e = entries[0]!;
  for (const other of [{ ...e, title: 'Other' }, { ...e, id: 'other' }, { ...e, index: 7 }, { ...e, submenus: [{ title: 'Advanced options', id: 'gnulinux-advanced-1', index: 1 }] }]) {
    const error = missing(other);
    t.regex(error?.hint ?? '', /regenerate grub\.cfg/);
  }
});

test('panic: kept when the base already reboots on panic (any non-zero whole number), else panic=10 added', (t) => {
  t.is(trialParamsFor('ro panic=5', ['a=1'], []), 'ro panic=5 a=1');
  t.is(trialParamsFor('ro panic=-1', ['a=1'], []), 'ro panic=-1 a=1');
  t.is(trialParamsFor('ro panic=30', ['a=1'], []), 'ro panic=30 a=1');
  t.is(trialParamsFor('ro', ['a=1'], []), 'ro a=1 panic=10');
  t.is(trialParamsFor('ro panic=0', ['a=1'], []), 'ro panic=10 a=1');
  t.is(trialParamsFor('ro panic', ['a=1'], []), 'ro panic=10 a=1', 'panic without a value does not reboot');
  t.is(trialParamsFor('ro panic=5s', ['a=1'], []), 'ro panic=10 a=1', 'not a number');
  t.is(trialParamsFor('ro panic=x5', ['a=1'], []), 'ro panic=10 a=1');
  t.is(trialParamsFor('ro panic=5 panic=0', ['a=1'], []), 'ro panic=10 a=1', 'the last panic= counts');
  t.is(trialParamsFor('ro Panic=5', ['a=1'], []), 'ro Panic=5 a=1 panic=10', 'the kernel\'s keys are case-sensitive');
  t.is(trialParamsFor('  ro iommu=pt  ', ['a=1'], ['iommu=pt']), 'ro a=1 panic=10', 'what contradicts the plan goes; no edge blanks');
});

test('the trial script: the body with the params on its one linux line (linux, linux16 or linuxefi), as a grub.d script', (t) => {
  const base = parseGrubCfg(CFG)[0]!;
  for (const cmd of ['linux', 'linux16', 'linuxefi']) {
    const script = renderTrialScript(base, [`\t${cmd}\t/boot/vmlinuz-6.1 root=/dev/vda1 ro`, '\tinitrd /i'], 'root=/dev/vda1 ro x=1');
    t.is(script, [
      '#!/bin/sh',
      'exec tail -n +3 "$0"',
      '# Written by sriov-lxc: "Debian" with new kernel params, for one trial boot (next_entry=sriov-lxc-trial); removed when they become the default.',
      "menuentry 'sriov-lxc trial: Debian' --id sriov-lxc-trial {",
      `\t${cmd}\t/boot/vmlinuz-6.1 root=/dev/vda1 ro x=1`,
      '\tinitrd /i',
      '}',
      '',
    ].join('\n'));
  }
  t.is(trialTitle(base), 'sriov-lxc trial: Debian');
  t.is(renderTrialScript(base, ['  linux  \t /k a'], 'x=1').split('\n')[4], '  linux  \t /k x=1', 'any blanks after the command');
  // A line that only starts like a linux command is not one; two linux lines cannot be copied.
  t.throws(() => renderTrialScript(base, ['\tlinuxfoo /k a'], 'x'), { instanceOf: ParseError, message: /has 0 linux lines, not one/ });
  const two = t.throws(() => renderTrialScript(base, ['linux /k a', 'linux /k b'], 'x'), { instanceOf: ParseError, message: /has 2 linux lines, not one/ });
  t.regex(two?.hint ?? '', /point GRUB_DEFAULT at a generated Linux entry, or set trialBoot: false/);
  t.throws(() => renderTrialScript(base, ['echo linux /k a'], 'x'), { instanceOf: ParseError });
});

test('the BLS trial: options and title replaced, every other line kept; not exactly one options line is refused', (t) => {
  const file = 'title Rocky\nversion 5.14\nlinux /vmlinuz\ninitrd /initramfs\noptions root=/dev/vda1 ro\noptionsx keep\ntitlex keep\ngrub_arg options title\ngrub_users $grub_users\n';
  t.is(renderBlsTrial('Rocky', file, 'root=/dev/vda1 ro x=1'), 'title sriov-lxc trial: Rocky\nversion 5.14\nlinux /vmlinuz\ninitrd /initramfs\noptions root=/dev/vda1 ro x=1\noptionsx keep\ntitlex keep\ngrub_arg options title\ngrub_users $grub_users\n');
  t.is(renderBlsTrial('R', 'title\noptions a\n', 'b'), 'title sriov-lxc trial: R\noptions b\n', 'an empty title');
  t.is(renderBlsTrial('R', '  title R\n  options\n', 'a'), 'title sriov-lxc trial: R\noptions a\n', 'indented, and an options line without params');
  const none = t.throws(() => renderBlsTrial('R', 'title R\nlinux /v\n', 'a'), { instanceOf: ParseError, message: /has 0 options lines, not one/ });
  t.regex(none?.hint ?? '', /fix the entry with grubby, or set trialBoot: false/);
  t.throws(() => renderBlsTrial('R', 'options a\noptions b\n', 'a'), { instanceOf: ParseError, message: /has 2 options lines, not one/ });
});

test('the one-shot header: the if (or elif) on next_entry and the save_env that clears it, each on a line of its own', (t) => {
  const header = (cond: string, save: string) => `${cond}\n   set default="\${next_entry}"\n   set next_entry=\n${save}\n   set boot_once=true\nfi\n`;
  t.true(honoursNextEntry(header('if [ "${next_entry}" ] ; then', '   save_env next_entry')));
  t.true(honoursNextEntry(header('elif [ "${next_entry}" ] ; then', '   save_env next_entry')));
  t.true(honoursNextEntry(header('  if [ "${next_entry}" ] ; then  ', '   save_env next_entry \t')), 'blanks around the lines');
  t.false(honoursNextEntry(header('xif [ "${next_entry}" ] ; then', '   save_env next_entry')));
  t.false(honoursNextEntry(header('if [ "${next_entry}" ] ; then', '   save_env next_entryx')));
  t.false(honoursNextEntry(header('if [ "${next_entry}" ] ; then', '   # save_env next_entry')), 'never cleared');
  t.false(honoursNextEntry(header('if [ "${next_entry}" ] ; then', '   save_env next_entry saved_entry')));
  t.false(honoursNextEntry(header('# if [ "${next_entry}" ] ; then', '   save_env next_entry')), 'never read');
  t.false(honoursNextEntry(header('if [ "${next_entry}" ] ; then echo', '   save_env next_entry')));
  t.false(honoursNextEntry('if [ "${next_entry}" ] ; then\n'), 'read but never cleared');
  t.false(honoursNextEntry('save_env next_entry\n'), 'cleared but never read');
});
