import test from 'ava';
import { readFileSync } from 'node:fs';
import { mountsAt, parseProcMounts, hasHugetlbfsMount } from '../../node/parse/findmnt.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real /proc/mounts: the hugetlbfs mounts, by mount point and page size', (t) => {
  const mounts = parseProcMounts(fixture('proc-mounts-hugetlbfs.txt'));
  t.deepEqual(mounts.filter((m) => m.fstype === 'hugetlbfs').map((m) => [m.source, m.target, m.options.join(',')]), [
    ['huge', '/mnt/huge', 'rw,relatime,pagesize=2M'],
    ['nodev', '/tmp/hugecap2', 'rw,relatime,mode=777,pagesize=2M'],
  ]);
  t.true(hasHugetlbfsMount(mounts, '/mnt/huge'));
  t.true(hasHugetlbfsMount(mounts, '/mnt/huge/', '2M'));
  t.false(hasHugetlbfsMount(mounts, '/mnt/huge', '1G'));
  t.false(hasHugetlbfsMount(mounts, '/dev/hugepages'));
  t.false(hasHugetlbfsMount(mounts, '/dev/shm'), 'a mount of another type does not count');
  t.deepEqual(mountsAt(mounts, '/dev/shm/').map((m) => m.fstype), ['tmpfs', 'tmpfs']);
  t.deepEqual(mountsAt(mounts, '/mnt'), []);
});

test('/proc/mounts octal escapes', (t) => {
  t.is(parseProcMounts('huge /mnt/huge\\040pages hugetlbfs rw 0 0\n')[0]?.target, '/mnt/huge pages');
});

test('clear errors for text that is not /proc/mounts', (t) => {
  t.throws(() => parseProcMounts('garbage\n'), { message: /unexpected \/proc\/mounts line 1/ });
});
