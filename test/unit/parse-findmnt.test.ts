import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseFindmntJson, parseProcMounts, hasHugetlbfsMount } from '../../tasks/parse/findmnt.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real findmnt -J tree is flattened in order', (t) => {
  const mounts = parseFindmntJson(fixture('findmnt-J-hugetlbfs.json'));
  t.deepEqual(mounts[0], {
    target: '/',
    source: '/dev/vda',
    fstype: 'ext4',
    options: ['rw', 'relatime', 'discard', 'resv_strict', 'resuid=65534', 'resgid=65534'],
  });
  t.is(mounts.filter((m) => m.fstype === 'cgroup').length, 9);
  t.true(hasHugetlbfsMount(mounts, '/mnt/huge'));
  t.true(hasHugetlbfsMount(mounts, '/mnt/huge/', '2M'));
  t.false(hasHugetlbfsMount(mounts, '/mnt/huge', '1G'));
  t.false(hasHugetlbfsMount(mounts, '/dev/hugepages'));
  t.false(hasHugetlbfsMount(mounts, '/proc'), 'a mount of another type does not count');
});

test('real findmnt -J -t hugetlbfs and real /proc/mounts agree', (t) => {
  const fromFindmnt = parseFindmntJson(fixture('findmnt-J-t-hugetlbfs.json'));
  const fromProc = parseProcMounts(fixture('proc-mounts-hugetlbfs.txt')).filter((m) => m.fstype === 'hugetlbfs');
  t.deepEqual(fromFindmnt, fromProc);
  t.deepEqual(fromProc.map((m) => [m.source, m.target, m.options.join(',')]), [
    ['huge', '/mnt/huge', 'rw,relatime,pagesize=2M'],
    ['nodev', '/tmp/hugecap2', 'rw,relatime,mode=777,pagesize=2M'],
  ]);
});

test('/proc/mounts octal escapes', (t) => {
  t.is(parseProcMounts('huge /mnt/huge\\040pages hugetlbfs rw 0 0\n')[0]?.target, '/mnt/huge pages');
});

test('clear errors for text that is not findmnt -J or /proc/mounts', (t) => {
  t.throws(() => parseFindmntJson('findmnt: unrecognized option'), { message: /not JSON/ });
  t.throws(() => parseFindmntJson('{}'), { message: /no "filesystems" list/ });
  t.throws(() => parseFindmntJson('{"filesystems":[{"source":"x"}]}'), { message: /without target/ });
  t.throws(() => parseProcMounts('garbage\n'), { message: /unexpected \/proc\/mounts line 1/ });
});
