import test from 'ava';
import { fixture, type FakeHost } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { FatalError } from '../../../core/errors.ts';
import { modulesHugepagesStage } from '../../../tasks/modules-hugepages.ts';
import { HUGETLBFS_FOUND } from '../../../node/facts/hugepages.ts';
import type { StageContext } from '../../../engine/stage.ts';

const MODULES_LOAD = '/etc/modules-load.d/sriov-lxc.conf';
const MODPROBE = '/etc/modprobe.d/sriov-lxc.conf';
const SYSCTL = '/etc/sysctl.d/80-sriov-lxc-hugepages.conf';
const fstab = fixture('stages/modules/fstab-lab-centos7.txt');

const modulesLoadText = '# Written by sriov-lxc: the SR-IOV NIC drivers, the PF driver before the VF driver.\nixgbe\nixgbevf\n';
const modprobeText = '# Written by sriov-lxc: VFs per port, also when the driver is reloaded without a reboot.\noptions ixgbe max_vfs=8,8\n';
const sysctlText = '# Written by sriov-lxc: 2M huge pages reserved at boot.\nvm.nr_hugepages = 1024\n';
const fstabText = `${fstab}# BEGIN sriov-lxc hugepages\nhugetlbfs /mnt/huge hugetlbfs pagesize=2M 0 0\n# END sriov-lxc hugepages\n`;

function plan(options: { vfCreation?: string; hugepages?: boolean } = {}): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    ${options.hugepages === false ? '' : 'hugepages: { count: 1024, size: 2M, mount: /mnt/huge }'}
    pfs:
      - { name: enp4s0f0, vfs: 8, vfCreation: ${options.vfCreation ?? 'max_vfs'} }
      - { name: enp4s0f1, vfs: 8, vfCreation: ${options.vfCreation ?? 'max_vfs'} }
`, '/tmp/inventory.yaml').hosts[0]!;
}

function context(host: FakeHost, p: HostPlan = plan()): StageContext & { lines: string[] } {
  const lines: string[] = [];
  return { host, plan: p, outputs: {}, log: (l) => lines.push(l), signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state', lines };
}

interface NodeState {
  mounted: boolean;
  reserved: number;
  /** What the kernel grants of a request (fragmented memory grants less). */
  grant: (wanted: number) => number;
  /** What is at /mnt/huge before anything is mounted there. */
  mountPoint: 'missing' | 'empty' | 'full' | 'symlink';
}

// /proc/mounts captured with the paper's hugetlbfs on /mnt/huge (test/fixtures/parse), and the same
// without it (before the mount), and with a tmpfs there instead.
const MOUNTED = fixture('parse/proc-mounts-hugetlbfs.txt');
const UNMOUNTED = MOUNTED.split('\n').filter((l) => !l.includes(' /mnt/huge ')).join('\n');
const TMPFS_THERE = `${UNMOUNTED.trimEnd()}\ntmpfs /mnt/huge tmpfs rw,relatime 0 0\n`;

/** A node answering like the Debian 12 VM did: /proc/mounts, sysctl, mkdir and mount. */
function node(files: Record<string, string>, state: Partial<NodeState> = {}): FakeHost & { state: NodeState } {
  const s: NodeState = { mounted: false, reserved: 0, grant: (n) => n, mountPoint: 'missing', ...state };
  const host = Object.assign(new BatchingFakeHost('node1', { '/proc/mounts': s.mounted ? MOUNTED : UNMOUNTED, ...files }), { state: s });
  host.on(['test', '-d', '/sys/kernel/mm/hugepages/hugepages-2048kB'], {});
  host.on(['sysctl', '-n', 'vm.nr_hugepages'], () => ({ stdout: fixture('stages/modules/sysctl-n-nr-hugepages-0.stdout').replace('0', String(s.reserved)) }));
  host.on(['sysctl', '-p', SYSCTL], () => {
    const wanted = Number(/vm\.nr_hugepages = (\d+)/.exec(host.files.get(SYSCTL)?.content ?? '')?.[1]);
    s.reserved = s.grant(wanted);
    return { stdout: fixture('stages/modules/sysctl-p-nr-hugepages-0.stdout').replace('0', String(wanted)) };
  });
  host.on(['stat', '-c', '%F', '--', '/mnt/huge'], () =>
    s.mountPoint === 'missing'
      ? { code: 1, stderr: fixture('stages/modules/stat-c-F-missing.stderr').replace('/mnt/missing', '/mnt/huge') }
      : { stdout: fixture(`stages/modules/stat-c-F-${s.mountPoint === 'symlink' ? 'symlink' : 'directory'}.stdout`) },
  );
  host.on(['ls', '-A', '--', '/mnt/huge'], () => ({ stdout: s.mountPoint === 'full' ? fixture('stages/modules/ls-A-etc-ssh-like.stdout') : '' }));
  host.on(['mkdir', '-p', '-m', '0755', '/mnt/huge'], () => {
    if (s.mountPoint === 'missing') s.mountPoint = 'empty';
    return {};
  });
  host.on(['test', '-d', '/mnt/huge'], () => ({ code: s.mountPoint === 'empty' || s.mountPoint === 'full' ? 0 : 1 }));
  host.on(['mkdir', '-p', '-m', '0700', '/var/lib/sriov-lxc'], {});
  host.on(['mount', '-t', 'hugetlbfs', '-o', 'pagesize=2M', 'hugetlbfs', '/mnt/huge'], () => {
    s.mounted = true;
    host.files.set('/proc/mounts', { content: MOUNTED, mode: 0o444 });
    return {};
  });
  host.on((argv) => argv[0] === 'rm' && argv[1] === '-f' && argv.length === 3, (argv) => {
    host.files.delete(argv[2] as string);
    return {};
  });
  return host;
}

test('a fresh node: the plan and a diff per file', async (t) => {
  const host = node({ '/etc/fstab': fstab });
  const result = await modulesHugepagesStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    `create ${MODULES_LOAD}`,
    `create ${MODPROBE}`,
    `create ${SYSCTL}`,
    'update /etc/fstab',
    `reserve huge pages now: sysctl -p ${SYSCTL} (0 of 1024 2M huge pages reserved)`,
    'mount hugetlbfs (pagesize=2M) on /mnt/huge',
  ]);
  t.is(result.diffs?.find((d) => d.path === MODULES_LOAD)?.diff, [
    '--- /dev/null',
    '+++ b/etc/modules-load.d/sriov-lxc.conf',
    '@@ -0,0 +1,3 @@',
    '+# Written by sriov-lxc: the SR-IOV NIC drivers, the PF driver before the VF driver.',
    '+ixgbe',
    '+ixgbevf',
    '',
  ].join('\n'));
  t.is(result.diffs?.find((d) => d.path === '/etc/fstab')?.diff, [
    '--- a/etc/fstab',
    '+++ b/etc/fstab',
    '@@ -1,2 +1,5 @@',
    ' /dev/mapper/centos-root /                       xfs     defaults        0 0',
    ' UUID=5f2a5ee7-0996-6c9a-d613-164a1cc8fcbe /boot                   xfs     defaults        0 0',
    '+# BEGIN sriov-lxc hugepages',
    '+hugetlbfs /mnt/huge hugetlbfs pagesize=2M 0 0',
    '+# END sriov-lxc hugepages',
    '',
  ].join('\n'));
  t.false(host.calls.some((c) => c.kind === 'writeFile'), 'check changes nothing');
});

test('apply writes the files, reserves the pages and mounts hugetlbfs; then check is done', async (t) => {
  const host = node({ '/etc/fstab': fstab });
  const ctx = context(host);
  await modulesHugepagesStage.apply(ctx);
  t.is(host.files.get(MODULES_LOAD)?.content, modulesLoadText);
  t.is(host.files.get(MODPROBE)?.content, modprobeText);
  t.is(host.files.get(SYSCTL)?.content, sysctlText);
  t.is(host.files.get('/etc/fstab')?.content, fstabText);
  t.deepEqual(host.commands.filter((c) => !/^(test|stat|ls|sysctl -n) /.test(c)), [
    `sysctl -p ${SYSCTL}`,
    'mkdir -p -m 0755 /mnt/huge',
    'mount -t hugetlbfs -o pagesize=2M hugetlbfs /mnt/huge',
  ]);
  t.deepEqual(await modulesHugepagesStage.verify(ctx), {
    modulesLoad: MODULES_LOAD,
    hugepages: { size: '2M', planned: 1024, reserved: 1024, mount: '/mnt/huge', mounted: true },
  });
  t.deepEqual(await modulesHugepagesStage.check(ctx), {
    done: true,
    reason: 'ixgbe then ixgbevf load at boot; 1024 2M pages reserved; hugetlbfs on /mnt/huge',
  });
});

// Issue 21: teardown unmounted a hugetlbfs and removed a mount point that were there before provisioning.
test('apply records what it found on the mount point before its first change, once', async (t) => {
  const fresh = node({ '/etc/fstab': fstab });
  await modulesHugepagesStage.apply(context(fresh));
  const written = fresh.calls.findIndex((c) => c.kind === 'writeFile' && c.path === HUGETLBFS_FOUND);
  t.true(written >= 0 && written < fresh.calls.findIndex((c) => c.kind === 'writeFile' && c.path === MODULES_LOAD), 'before the first file');
  t.deepEqual(JSON.parse(fresh.files.get(HUGETLBFS_FOUND)?.content ?? ''), { mount: '/mnt/huge', dirExisted: false, mounted: false });
  t.is(fresh.files.get(HUGETLBFS_FOUND)?.mode, 0o600);
  t.is(fresh.files.get(HUGETLBFS_FOUND)?.directoryMode, 0o700, 'in a private directory, made by the write when missing');
  await modulesHugepagesStage.apply(context(fresh));
  t.deepEqual(JSON.parse(fresh.files.get(HUGETLBFS_FOUND)?.content ?? ''), { mount: '/mnt/huge', dirExisted: false, mounted: false }, 'the first look counts');
  const operators = node({ '/etc/fstab': fstab }, { mountPoint: 'empty', mounted: true });
  await modulesHugepagesStage.apply(context(operators));
  t.deepEqual(JSON.parse(operators.files.get(HUGETLBFS_FOUND)?.content ?? ''), { mount: '/mnt/huge', dirExisted: true, mounted: true });
});

test('apply again on a configured node changes nothing', async (t) => {
  const host = node({ '/etc/fstab': fstabText, [MODULES_LOAD]: modulesLoadText, [MODPROBE]: modprobeText, [SYSCTL]: sysctlText }, { mounted: true, reserved: 1024 });
  await modulesHugepagesStage.apply(context(host));
  t.false(host.calls.some((c) => c.kind === 'writeFile'));
  t.false(host.commands.some((c) => c.startsWith('mount ')));
});

test('an operator\'s own hugetlbfs line for the mount point is kept, not doubled', async (t) => {
  // The line the paper meant to write, written correctly by hand.
  const own = `${fstab}huge /mnt/huge hugetlbfs defaults 0 0\n`;
  const host = node({ '/etc/fstab': own, [MODULES_LOAD]: modulesLoadText, [MODPROBE]: modprobeText, [SYSCTL]: sysctlText }, { mounted: true, reserved: 1024 });
  t.true((await modulesHugepagesStage.check(context(host))).done);
});

test('another file system on the mount point in fstab is refused with a fix', async (t) => {
  const host = node({ '/etc/fstab': `${fstab}tmpfs /mnt/huge tmpfs size=1G 0 0\n` });
  const error = await t.throwsAsync(modulesHugepagesStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, '/etc/fstab already mounts tmpfs (size=1G) on /mnt/huge');
  t.regex(error?.hint ?? '', /hugepages\.mount/);
});

test('another file system mounted on the mount point is refused with a fix', async (t) => {
  const host = new BatchingFakeHost('node1', { '/etc/fstab': fstab, '/proc/mounts': TMPFS_THERE });
  const error = await t.throwsAsync(modulesHugepagesStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: tmpfs (rw,relatime) is mounted on /mnt/huge, not a hugetlbfs of 2M pages');
});

test('VFs through sysfs: no modprobe options, and ours from an earlier plan is removed', async (t) => {
  const host = node({ '/etc/fstab': fstabText, [MODULES_LOAD]: modulesLoadText, [MODPROBE]: modprobeText, [SYSCTL]: sysctlText }, { mounted: true, reserved: 1024 });
  const ctx = context(host, plan({ vfCreation: 'sysfs' }));
  const result = await modulesHugepagesStage.check(ctx);
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [`remove ${MODPROBE} (no longer planned)`]);
  await modulesHugepagesStage.apply(ctx);
  t.true(host.commands.includes(`rm -f ${MODPROBE}`));
});

test('no huge pages planned: our sysctl file and fstab block go, other lines stay', async (t) => {
  const host = node({ '/etc/fstab': fstabText, [MODULES_LOAD]: modulesLoadText, [MODPROBE]: modprobeText, [SYSCTL]: sysctlText });
  const ctx = context(host, plan({ hugepages: false }));
  await modulesHugepagesStage.apply(ctx);
  t.is(host.files.get('/etc/fstab')?.content, fstab);
  t.true(host.commands.includes(`rm -f ${SYSCTL}`));
  t.false(host.commands.some((c) => c.startsWith('mount ') || c.startsWith('sysctl')));
  t.deepEqual(await modulesHugepagesStage.verify(ctx), { modulesLoad: MODULES_LOAD, hugepages: null });
});

test('fragmented memory: fewer pages than planned is explained, not fatal', async (t) => {
  const host = node({ '/etc/fstab': fstab }, { grant: () => 512 });
  const ctx = context(host);
  await modulesHugepagesStage.apply(ctx);
  const outputs = await modulesHugepagesStage.verify(ctx);
  t.like(outputs, { hugepages: { reserved: 512, planned: 1024 } });
  t.true(ctx.lines.some((l) => l.startsWith('only 512 of 1024 2M huge pages reserved: memory is fragmented')));
});

// Issue 17 (6): hugetlbfs mounted over a directory with files hid them (over /etc/ssh: no more
// SSH logins). Found in check, before anything on the node is changed.
test('a mount point with files in it is refused in check, nothing changed', async (t) => {
  const host = node({ '/etc/fstab': fstab }, { mountPoint: 'full' });
  const error = await t.throwsAsync(modulesHugepagesStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: the hugetlbfs mount point /mnt/huge is not empty (moduli, sshd_config): mounting there would hide or redirect it');
  t.regex(error?.hint ?? '', /empty directory of its own for hugepages\.mount/);
  t.false(host.calls.some((c) => c.kind === 'writeFile' || (c.kind === 'exec' && /^(mount|mkdir|sysctl -p) /.test(c.line ?? ''))));
});

test('a mount point that is a link is refused', async (t) => {
  const host = node({ '/etc/fstab': fstab }, { mountPoint: 'symlink' });
  const error = await t.throwsAsync(modulesHugepagesStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: the hugetlbfs mount point /mnt/huge is a symbolic link, not a directory: mounting there would hide or redirect it');
});

test('an empty mount point, or one with our hugetlbfs on it, is fine', async (t) => {
  for (const state of [{ mountPoint: 'empty' as const }, { mountPoint: 'full' as const, mounted: true }]) {
    const host = node({ '/etc/fstab': fstab }, state);
    await t.notThrowsAsync(modulesHugepagesStage.check(context(host)));
  }
});

// Issue 22: kernels before 4.15 show a hugetlbfs mount's options as typed. The paper's
// `mount -t hugetlbfs huge /mnt/huge` on such a kernel has no pagesize= at all (its pages are the
// default size, /proc/meminfo's Hugepagesize); one mounted with `-o pagesize=2048k` shows that.
const NO_PAGESIZE = fixture('real/proc-mounts/proc-mounts-grep-hugetlbfs-mnt-huge-no-pagesize.txt');
const MEMINFO_2M = fixture('parse/meminfo-vm.txt');
const done = { [MODULES_LOAD]: modulesLoadText, [MODPROBE]: modprobeText, [SYSCTL]: sysctlText };

for (const [what, mounts] of [
  ['without pagesize= (kernel 3.10, real /proc/mounts)', NO_PAGESIZE],
  ['with pagesize=2048k (kernel 4.4, as typed)', `${UNMOUNTED.trimEnd()}\nhuge /mnt/huge hugetlbfs rw,relatime,pagesize=2048k 0 0\n`],
] as const) {
  test(`an operator's hugetlbfs ${what} on the mount point is the planned one`, async (t) => {
    const host = node({ '/etc/fstab': `${fstab}huge /mnt/huge hugetlbfs defaults 0 0\n`, ...done, '/proc/meminfo': MEMINFO_2M }, { mounted: true, reserved: 1024 });
    host.files.set('/proc/mounts', { content: mounts, mode: 0o444 });
    t.true((await modulesHugepagesStage.check(context(host))).done);
  });
}

test('a hugetlbfs without pagesize= where the default huge page size is 1G is not a 2M one', async (t) => {
  const meminfo1G = MEMINFO_2M.replace(/^Hugepagesize:.*$/m, 'Hugepagesize:    1048576 kB');
  const host = new BatchingFakeHost('node1', { '/etc/fstab': fstab, '/proc/mounts': NO_PAGESIZE, '/proc/meminfo': meminfo1G });
  const error = await t.throwsAsync(modulesHugepagesStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'node1: hugetlbfs (rw,relatime) is mounted on /mnt/huge, not a hugetlbfs of 2M pages');
});
