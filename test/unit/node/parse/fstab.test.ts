import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseFstab, formatFstabEntry, findFstabEntry, unescapeOctal } from '../../../../node/parse/fstab.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('fstab of a CentOS 7 node: comments skipped, tabs, octal escapes', (t) => {
  const entries = parseFstab(fixture('fstab-centos7.txt'));
  t.is(entries.length, 5);
  t.deepEqual(entries[0], { spec: '/dev/mapper/centos-root', file: '/', vfstype: 'xfs', mntops: ['defaults'], freq: 0, passno: 0 });
  t.deepEqual(findFstabEntry(entries, '/srv/castor/1')?.mntops, ['logbufs=8', 'logbsize=256k', 'noatime', 'swalloc', 'inode64']);
  t.like(findFstabEntry(entries, '/mnt/eos data'), { spec: '//nas/eos data', passno: 0 });
  t.is(formatFstabEntry(entries[4] as (typeof entries)[number]), '//nas/eos\\040data /mnt/eos\\040data cifs ro,noauto 0 0');
});

test("the paper's hugetlbfs line, written so it parses back", (t) => {
  const line = formatFstabEntry({ spec: 'huge', file: '/mnt/huge', vfstype: 'hugetlbfs', mntops: ['defaults'], freq: 0, passno: 0 });
  t.is(line, 'huge /mnt/huge hugetlbfs defaults 0 0');
  t.deepEqual(parseFstab(`${line}\n`)[0]?.file, '/mnt/huge');
  t.deepEqual(parseFstab('none /x tmpfs')[0]?.mntops, ['defaults'], 'options, freq and passno are optional');
  t.throws(() => parseFstab('huge /mnt/huge\n'), { message: /invalid fstab line 1/ });
  t.throws(() => parseFstab('a b c d zero 0\n'), { message: /invalid fstab line 1/ });
});

test('octal escapes', (t) => {
  t.is(unescapeOctal('a\\040b\\011c\\134d'), 'a b\tc\\d');
  t.is(formatFstabEntry({ spec: 'x\\y', file: '/a b', vfstype: 'none', mntops: ['bind'], freq: 0, passno: 0 }), 'x\\134y /a\\040b none bind 0 0');
});
