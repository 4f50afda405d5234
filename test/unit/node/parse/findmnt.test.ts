import test from 'ava';
import { readFileSync } from 'node:fs';
import { mountsAt, parseProcMounts, hasHugetlbfsMount, hugetlbfsPageBytes, needsDefaultPageSize, parseKernelSize } from '../../../../node/parse/findmnt.ts';

const MiB2 = 2 * 1024 * 1024;
const GiB = 1024 * 1024 * 1024;
const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real /proc/mounts: the hugetlbfs mounts, by mount point and page size', (t) => {
  const mounts = parseProcMounts(fixture('proc-mounts-hugetlbfs.txt'));
  t.deepEqual(mounts.filter((m) => m.fstype === 'hugetlbfs').map((m) => [m.source, m.target, m.options.join(',')]), [
    ['huge', '/mnt/huge', 'rw,relatime,pagesize=2M'],
    ['nodev', '/tmp/hugecap2', 'rw,relatime,mode=777,pagesize=2M'],
  ]);
  t.true(hasHugetlbfsMount(mounts, '/mnt/huge'));
  t.true(hasHugetlbfsMount(mounts, '/mnt/huge/', { bytes: MiB2, defaultBytes: GiB }), 'pagesize=2M is 2M whatever the default');
  t.false(hasHugetlbfsMount(mounts, '/mnt/huge', { bytes: GiB, defaultBytes: GiB }));
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

// Real /proc/mounts captured by others (test/fixtures/real/SOURCES.md); expected values read off the files.
const real = (name: string): string => readFileSync(new URL(`../../../fixtures/real/proc-mounts/${name}`, import.meta.url), 'utf8');

test('real: kernel 3.10-era hugetlbfs mounts without pagesize= have the default huge page size', (t) => {
  const mounts = parseProcMounts(real('proc-mounts-grep-hugetlbfs-mnt-huge-no-pagesize.txt'));
  t.deepEqual(mounts.map((m) => [m.source, m.target, m.fstype, m.options.join(',')]), [
    ['hugetlbfs', '/dev/hugepages', 'hugetlbfs', 'rw,relatime'],
    ['nodev', '/mnt/huge', 'hugetlbfs', 'rw,relatime'],
  ]);
  t.true(needsDefaultPageSize(mounts, '/mnt/huge'));
  t.is(hugetlbfsPageBytes(mounts[1]!, MiB2), MiB2);
  t.true(hasHugetlbfsMount(mounts, '/mnt/huge', { bytes: MiB2, defaultBytes: MiB2 }));
  t.false(hasHugetlbfsMount(mounts, '/mnt/huge', { bytes: MiB2, defaultBytes: GiB }), 'default 1G: not a 2M mount');
});

test('real: RHEL 7 /proc/mounts (cgroup v1, seclabel): /dev/hugepages without pagesize=, 32 mounts', (t) => {
  const mounts = parseProcMounts(real('proc-mounts-rhel7-cgroup-v1-dev-hugepages.txt'));
  t.is(mounts.length, 32);
  t.deepEqual(mounts[0], { source: 'rootfs', target: '/', fstype: 'rootfs', options: ['rw'] });
  const huge = mountsAt(mounts, '/dev/hugepages');
  t.deepEqual(huge, [{ source: 'hugetlbfs', target: '/dev/hugepages', fstype: 'hugetlbfs', options: ['rw', 'seclabel', 'relatime'] }]);
  t.true(hasHugetlbfsMount(mounts, '/dev/hugepages', { bytes: MiB2, defaultBytes: MiB2 }));
  t.false(hasHugetlbfsMount(mounts, '/mnt/huge'));
  t.deepEqual(mountsAt(mounts, '/').map((m) => m.fstype), ['rootfs', 'xfs']);
});

test('real: a current kernel shows pagesize=2M', (t) => {
  const mounts = parseProcMounts(real('proc-mounts-grep-hugetlbfs-dev-hugepages-pagesize-2M.txt'));
  t.false(needsDefaultPageSize(mounts, '/dev/hugepages'));
  t.is(hugetlbfsPageBytes(mounts[0]!, GiB), MiB2);
  t.true(hasHugetlbfsMount(mounts, '/dev/hugepages', { bytes: MiB2, defaultBytes: GiB }));
});

test('hugetlbfs pagesize= in every form memparse takes; anything else is no size', (t) => {
  t.is(parseKernelSize('2M'), MiB2);
  t.is(parseKernelSize('2048k'), MiB2);
  t.is(parseKernelSize('2048K'), MiB2);
  t.is(parseKernelSize('1G'), GiB);
  t.is(parseKernelSize('1048576k'), GiB);
  t.is(parseKernelSize('2097152'), MiB2);
  t.is(parseKernelSize('2MB'), undefined);
  t.is(parseKernelSize(''), undefined);
  const odd = parseProcMounts('huge /mnt/huge hugetlbfs rw,pagesize=huge 0 0\n');
  t.false(hasHugetlbfsMount(odd, '/mnt/huge', { bytes: MiB2, defaultBytes: MiB2 }));
});
