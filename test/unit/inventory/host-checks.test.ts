// The inventory's safety checks (inventory/host-checks.ts) called directly, at their boundaries:
// what is refused and, as much, what must stay accepted (a check that refuses too much is caught
// here too). The same checks through parseInventory, with the field's path in the message, are in
// no-unquoted-input.test.ts.
import test from 'ava';
import {
  COMMAND_LINE_SIZE,
  MEMORY_MAX_BYTES,
  NODE_PARAMS_MARGIN,
  TEMPLATE_AREAS,
  commandLineProblem,
  fioDirectoryProblem,
  hugepagesMountProblem,
  kernelParamProblems,
  memoryBytes,
  memoryProblem,
  templatePatchProblem,
} from '../../../inventory/host-checks.ts';
import { kernelParamName } from '../../../inventory/kernel-params.ts';
import type { HugepagesPlan } from '../../../inventory/plan.ts';

const HUGEPAGES: HugepagesPlan = { count: 8, size: '2M', mount: '/mnt/huge' };

test('hugetlbfs mount: system directories and every directory under a system tree are refused', (t) => {
  for (const mount of ['/', '/.', '/etc', '/etc/', '/etc//', '/./etc', '/etc/.', '/mnt/./', '/var//', '/var/.', '/etc/ssh', '/usr/lib/x', '/var', '/var/', '/root', '/home', '/mnt', '/media', '/srv', '/opt', '/lib64', '/run', '/proc/x', '/sys/fs/x', '/dev/hugepages', '/bin/x', '/sbin/x', '/lib/x', '/boot/efi', '/tmp', '/tmp/huge', '/var/tmp', '/var/tmp/huge', '/dev/shm', '/run/shm', '/run/shm/x', '/run/lock', '/run/lock/x', '/var/lock', '/var/lock/x']) {
    t.regex(hugepagesMountProblem(mount) ?? '', /^is a system directory \(or under one\)/, mount);
  }
});

test('hugetlbfs mount: a directory of its own is accepted, also beside or below a system directory that is not a tree', (t) => {
  // /var, /run, /home, /mnt, /srv are system directories only themselves: below them is a place of one's own.
  for (const mount of ['/mnt/huge', '/mnt/huge/', '/var/lib/hugetlbfs', '/run/hugepages', '/home/huge', '/srv/huge', '/etcetera', '/usrx/huge', '/tmpfs/huge', '/devices', '/variable']) {
    t.is(hugepagesMountProblem(mount), undefined, mount);
  }
});

test('fio directory: refused in a world-writable directory or below it, accepted beside it', (t) => {
  t.regex(fioDirectoryProblem('/tmp') ?? '', /^is in \/tmp, which every local user can write/);
  t.regex(fioDirectoryProblem('/tmp/') ?? '', /^is in \/tmp,/);
  t.regex(fioDirectoryProblem('/./tmp/b') ?? '', /^is in \/tmp,/, 'a . component is the same directory');
  t.regex(fioDirectoryProblem('/var//tmp') ?? '', /^is in \/var\/tmp,/);
  t.regex(fioDirectoryProblem('/var/tmp/b') ?? '', /^is in \/var\/tmp,/);
  t.regex(fioDirectoryProblem('/run/lock/b') ?? '', /^is in \/run\/lock,/);
  t.regex(fioDirectoryProblem('/var/lock') ?? '', /^is in \/var\/lock,/);
  for (const dir of ['/srv/bench', '/tmpx', '/var/tmpfs', '/var/lib/bench', '/', '/dev/shmx']) t.is(fioDirectoryProblem(dir), undefined, dir);
});

test('kernel params: names compared as the kernel compares them (- is _)', (t) => {
  t.is(kernelParamName('intel-iommu'), 'intel_iommu');
  t.is(kernelParamName('ixgbe.max-vfs'), 'ixgbe.max_vfs');
  t.is(kernelParamName('a-b-c'), 'a_b_c', 'every dash, not the first only');
  t.is(kernelParamName('quiet'), 'quiet');
});

const messages = (params: Record<string, string | null>, hugepages: HugepagesPlan | 'none' = HUGEPAGES, allowUnsafe = false) =>
  kernelParamProblems(params, hugepages === 'none' ? undefined : hugepages, allowUnsafe).map((f) => `${f.path.join('.')}=${String(f.value)}: ${f.message}`);

test('kernel params the tool sets itself are refused, each name and spelling', (t) => {
  for (const key of ['intel_iommu', 'iommu', 'amd_iommu', 'amd-iommu']) t.regex(messages({ [key]: 'on' })[0] ?? '', /is set by sriov-lxc from the host's iommu:/, key);
  for (const key of ['hugepages', 'hugepagesz', 'default_hugepagesz', 'default-hugepagesz']) t.regex(messages({ [key]: '1G' })[0] ?? '', /is set by sriov-lxc from hugepages:/, key);
  for (const key of ['max_vfs', 'ixgbe.max_vfs', 'i40e.max-vfs']) t.regex(messages({ [key]: '8' })[0] ?? '', /is set by sriov-lxc from pfs\[\]\.vfs/, key);
  t.deepEqual(messages({ 'intel-iommu': 'off' }), ['kernelParams.intel-iommu=off: is set by sriov-lxc from the host\'s iommu: (off, on or pt); choose there, not here (intel_iommu to the kernel, which reads - and _ alike in names)']);
  t.deepEqual(messages({ intel_iommu: 'off' }), ['kernelParams.intel_iommu=off: is set by sriov-lxc from the host\'s iommu: (off, on or pt); choose there, not here'], 'no spelling note when the name is the kernel\'s');
});

test('kernel params: hugepages params are the operator\'s when the host plans no huge pages; names that merely contain the tool\'s are free', (t) => {
  t.deepEqual(messages({ hugepages: '16', hugepagesz: '1G', default_hugepagesz: '1G' }, 'none'), []);
  t.deepEqual(messages({ max_vfs_extra: '1', 'max_vfs.x': '1', iommu_debug: '1', xhugepages: '1', nohugepages: null }), []);
});

test('kernel params that replace what boots are refused, with or without allowUnsafe', (t) => {
  for (const allow of [false, true]) {
    for (const key of ['init', 'rdinit', 'root', 'single', 'S', '1', 'systemd.unit', 'rd.break', 'kexec-load-disabled', 'BOOT_IMAGE']) {
      t.regex(messages({ [key]: null }, HUGEPAGES, allow)[0] ?? '', /replaces what the node boots/, `${key} allow=${allow}`);
    }
  }
  t.deepEqual(messages({ initcall_debug: null, rootdelay: '5', s2idle: null }), [], 'names that merely begin like them');
});

test('unsafe kernel params: flags with any value, the others with the values that switch the protection off', (t) => {
  t.regex(messages({ nokaslr: null })[0] ?? '', /^kernelParams\.nokaslr=nokaslr: turns off kernel address space randomisation: unsafe for a provisioning tool/);
  t.regex(messages({ 'systemd.debug-shell': '1' })[0] ?? '', /starts a root shell .* \(systemd\.debug_shell to the kernel, which reads - and _ alike in names\): unsafe/);
  t.regex(messages({ pti: 'off' })[0] ?? '', /page-table isolation/);
  t.regex(messages({ iomem: 'relaxed' })[0] ?? '', /device memory/);
  for (const v of ['0', '00', '+0', '0x0', '0X00', '+0x0']) {
    t.regex(messages({ selinux: v })[0] ?? '', /turns SELinux off/, `selinux=${v}: kstrtoul(str, 0) reads it as 0`);
    t.regex(messages({ apparmor: v })[0] ?? '', /turns AppArmor off/, `apparmor=${v}`);
  }
  // audit: recent kernels read "0" or "off" in any case as off (kernel/audit.c audit_enable), anything but "1"/"on" as an error that leaves it on; 3.10 reads a number (simple_strtol), "on" as 0.
  for (const v of ['0', 'off', 'OFF', 'on', '00', 'no']) t.regex(messages({ audit: v })[0] ?? '', /turns kernel auditing off/, `audit=${v}`);
  // ima_appraise: the kernel compares 3 characters (strncmp), so log-evm is log.
  for (const v of ['off', 'fix', 'log', 'log-evm', 'offx']) t.regex(messages({ ima_appraise: v })[0] ?? '', /stops IMA/, `ima_appraise=${v}`);
  for (const flag of ['systemd.debug_shell', 'rd.systemd.debug_shell', 'security', 'lsm', 'nopti', 'nospectre_v1', 'nospectre_v2', 'nokaslr', 'nosmap', 'nosmep', 'sysrq_always_enabled', 'kgdboc', 'kgdbwait']) {
    for (const value of [null, '1', 'none']) t.regex(messages({ [flag]: value })[0] ?? '', /: unsafe for a provisioning tool to set on a shared node/, `${flag}=${value}: unsafe with any value`);
  }
  for (const key of ['mitigations', 'pti', 'spectre_v2', 'spec_store_bypass_disable', 'mds', 'l1tf']) {
    t.regex(messages({ [key]: 'off' })[0] ?? '', /^kernelParams\.[a-z_0-9]+=off: turns off .*: unsafe/, `${key}=off`);
    t.deepEqual(messages({ [key]: 'auto' }), [], `${key}=auto`);
  }
  t.regex(messages({ enforcing: '0x0' })[0] ?? '', /puts SELinux in permissive mode/);
  for (const [key, value] of [['selinux', '1'], ['selinux', '10'], ['selinux', '01'], ['selinux', '0x1'], ['selinux', '0x'], ['selinux', '-0'], ['selinux', 'x0'], ['selinux', '0 '], ['selinux', null], ['enforcing', '1'], ['audit', '1'], ['audit', null], ['mitigations', 'auto'], ['mitigations', 'OFF'], ['pti', 'on'], ['pti', 'off2'], ['iomem', 'strict'], ['ima_appraise', 'enforce'], ['ima_appraise', 'enforce-evm'], ['ima_appraise', null], ['quiet', null]] as const) {
    t.deepEqual(messages({ [key]: value }), [], `${key}=${value}`);
  }
});

test('unsafe kernel params are let through when the inventory allows them', (t) => {
  t.deepEqual(messages({ selinux: '0', nokaslr: null, 'systemd.debug_shell': null }, HUGEPAGES, true), []);
  t.is(messages({ selinux: '0', nokaslr: null }, HUGEPAGES, false).length, 2);
});

test('kernel params: one name in two spellings is refused once, on the second, naming the first', (t) => {
  const found = kernelParamProblems({ 'foo-bar': '1', foo_bar: '2', 'foo-bar_': '3' }, HUGEPAGES);
  t.deepEqual(found, [{ path: ['kernelParams', 'foo_bar'], value: '2', message: 'is the same parameter as kernelParams.foo-bar to the kernel, which reads - and _ alike in names: keep one' }]);
  t.deepEqual(kernelParamProblems({ 'systemd.debug-shell': null, 'systemd.debug_shell': null }, HUGEPAGES).map((f) => f.path[1]), ['systemd.debug-shell', 'systemd.debug_shell'], 'the first as unsafe, the second once, as its twin only');
  t.deepEqual(kernelParamProblems({ quiet: null }, HUGEPAGES), [], 'a flag: its value is its name, nothing to say');
  t.deepEqual(kernelParamProblems({ nokaslr: null }, HUGEPAGES)[0]?.value, 'nokaslr', 'a flag is shown by its name');
});

test('kernel command line: fits up to COMMAND_LINE_SIZE - 1 - NODE_PARAMS_MARGIN bytes, counted in UTF-8', (t) => {
  const room = COMMAND_LINE_SIZE - 1 - NODE_PARAMS_MARGIN;
  t.is(room, 1535);
  t.is(commandLineProblem([]), undefined);
  t.is(commandLineProblem(['a'.repeat(room)]), undefined);
  t.is(commandLineProblem(['a'.repeat(room - 2), 'b']), undefined, 'the space between params counts');
  t.regex(commandLineProblem(['a'.repeat(room - 1), 'b']) ?? '', /^make a kernel command line of 1536 bytes; .* at most 1535 fit in the kernel's 2048/);
  t.regex(commandLineProblem(['é'.repeat(room / 2 + 1)]) ?? '', /of 1536 bytes/, 'bytes, not characters');
});

test('memory sizes: units, the smallest and the largest limit', (t) => {
  t.is(memoryBytes('512'), 512);
  t.is(memoryBytes('4K'), 4096);
  t.is(memoryBytes('4M'), 4 * 2 ** 20);
  t.is(memoryBytes('2G'), 2 * 2 ** 30);
  for (const bad of ['', 'G', '4T', '4g', '1.5G', ' 4G', '4G ', 'x4G']) t.true(Number.isNaN(memoryBytes(bad)), bad);
  t.is(memoryProblem('4M'), undefined);
  t.is(memoryProblem('4096K'), undefined);
  t.regex(memoryProblem('4194303') ?? '', /is too small for a container to start \(at least 4M\)/);
  t.regex(memoryProblem('4095K') ?? '', /too small/);
  t.is(memoryProblem('65536G'), undefined, '64T exactly');
  t.is(MEMORY_MAX_BYTES, 65536 * 2 ** 30);
  t.regex(memoryProblem('65537G') ?? '', /is more than any machine has \(at most 64T/);
  t.regex(memoryProblem('9'.repeat(30)) ?? '', /more than any machine has/, 'past what a double holds exactly');
  t.regex(memoryProblem('lots') ?? '', /more than any machine has/, 'no number at all (the schema refuses it first)');
});

test('template patches: files under LXC\'s areas only, not the areas\' names themselves or their neighbours', (t) => {
  for (const dir of TEMPLATE_AREAS) t.is(templatePatchProblem(`${dir}/x.conf`), undefined, dir);
  t.is(templatePatchProblem('/var/lib/lxc/c1/config'), undefined);
  for (const file of ['/etc/shadow', '/etc/lxc', '/usr/share/lxcfs/x', '/var/lib/lxc-other/x', '/root/.ssh/authorized_keys', 'usr/share/lxc/x']) {
    t.regex(templatePatchProblem(file) ?? '', /^is not a file of LXC's templates or containers: a template patch may change files under \/usr\/share\/lxc, \/usr\/local\/share\/lxc, \/etc\/lxc, \/var\/lib\/lxc$/, file);
  }
});
