// Teardown of what modules-hugepages and mac-reset write (tasks/teardown-*.ts): removed where it is
// still what the stage writes from the plan, kept and named where the operator changed it. The
// node answers /proc/mounts and the rest from the captures of test/fixtures/stages/modules (README there).
import test from 'ava';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import type { FatalError } from '../../../core/errors.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { modulesHugepagesStage } from '../../../tasks/modules-hugepages.ts';
import { modulesHugepagesTeardownStage } from '../../../tasks/teardown-modules-hugepages.ts';
import { HUGETLBFS_FOUND } from '../../../node/facts/hugepages.ts';
import { macResetTeardownStage } from '../../../tasks/teardown-mac-reset.ts';
import { MAC_SCRIPT_PATH, MAC_UNIT_PATH, macScript, macUnit } from '../../../node/vfs/mac-boot-files.ts';
import { FSTAB, MODPROBE_OPTIONS, MODULES_LOAD, SYSCTL_HUGEPAGES, fstabText, modprobeOptionsText, modulesLoadText, sysctlText } from '../../../node/files/modules-hugepages-files.ts';

const fstab = fixture('stages/modules/fstab-lab-centos7.txt');

const plan: HostPlan = parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    hugepages: { count: 1024, size: 2M, mount: /mnt/huge }
    pfs:
      - { name: enp4s0f0, vfs: 8 }
      - { name: enp4s0f1, vfs: 8 }
`, '/tmp/inventory.yaml').hosts[0]!;

function context(host: FakeHost): StageContext & { lines: string[] } {
  const lines: string[] = [];
  return { host, plan, outputs: {}, log: (l) => lines.push(l), signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state', lines };
}

// /proc/mounts captured with the paper's hugetlbfs on /mnt/huge (test/fixtures/parse), and without it.
const MOUNTED = fixture('parse/proc-mounts-hugetlbfs.txt');
const UNMOUNTED = MOUNTED.split('\n').filter((l) => !l.includes(' /mnt/huge ')).join('\n');

/** A node as modules-hugepages left it (files as written, hugetlbfs mounted on an empty /mnt/huge). */
function provisioned(edit: Record<string, string> = {}): FakeHost & { mounted: () => boolean; dirs: Set<string> } {
  const files = {
    [MODULES_LOAD]: modulesLoadText(plan),
    [MODPROBE_OPTIONS]: modprobeOptionsText(plan)!,
    [SYSCTL_HUGEPAGES]: sysctlText(plan.hugepages)!,
    [FSTAB]: fstabText(fstab, plan.hugepages),
    ...edit,
  };
  let mounted = true;
  const dirs = new Set(['/mnt/huge']);
  const host = Object.assign(new FakeHost('node1', { ...files, '/proc/mounts': MOUNTED }), { mounted: () => mounted, dirs });
  host.on(['test', '-d', '/sys/kernel/mm/hugepages/hugepages-2048kB'], {});
  host.on(['sysctl', '-n', 'vm.nr_hugepages'], { stdout: fixture('stages/modules/sysctl-n-nr-hugepages-0.stdout').replace('0', '1024') });
  // GNU find prints the directory only when it is an empty directory.
  host.on(['find', '/mnt/huge', '-maxdepth', '0', '-type', 'd', '-empty'], () => ({ stdout: dirs.has('/mnt/huge') ? '/mnt/huge\n' : '', code: dirs.has('/mnt/huge') ? 0 : 1 }));
  host.on(['stat', '-c', '%F', '--', '/mnt/huge'], () =>
    dirs.has('/mnt/huge') ? { stdout: fixture('stages/modules/stat-c-F-directory.stdout') } : { code: 1, stderr: fixture('stages/modules/stat-c-F-missing.stderr').replace('/mnt/missing', '/mnt/huge') },
  );
  host.on(['ls', '-A', '--', '/mnt/huge'], { stdout: '' });
  host.on(['umount', '/mnt/huge'], () => {
    mounted = false;
    host.files.set('/proc/mounts', { content: UNMOUNTED, mode: 0o444 });
    return {};
  });
  host.on(['rmdir', '/mnt/huge'], () => {
    dirs.delete('/mnt/huge');
    return {};
  });
  host.on((argv) => argv[0] === 'rm' && argv[1] === '-f' && argv[2] === '--', (argv) => {
    host.files.delete(argv[3] as string);
    return {};
  });
  return host;
}

test('modules-hugepages as written: every file, the fstab block, the mount and the mount point go; the rest of fstab stays', async (t) => {
  const host = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":false,"mounted":false}\n' });
  const ctx = context(host);
  const check = await modulesHugepagesTeardownStage.check(ctx);
  t.like(check, { done: false, plan: [`remove ${MODULES_LOAD}`, `remove ${MODPROBE_OPTIONS}`, `remove ${SYSCTL_HUGEPAGES}`, `remove the sriov-lxc hugepages block from ${FSTAB}`, 'unmount the hugetlbfs on /mnt/huge', 'remove the empty mount point /mnt/huge', `remove ${HUGETLBFS_FOUND} (what provisioning found on the mount point)`] });
  await modulesHugepagesTeardownStage.apply(ctx);
  for (const path of [MODULES_LOAD, MODPROBE_OPTIONS, SYSCTL_HUGEPAGES, HUGETLBFS_FOUND]) t.false(host.files.has(path), path);
  t.is(host.files.get(FSTAB)?.content, fstab);
  t.false(host.mounted());
  t.deepEqual(await modulesHugepagesTeardownStage.verify(ctx), { kept: [] });
  t.like(await modulesHugepagesTeardownStage.check(ctx), { done: true });
  // Provisioning again writes the same files: the way back is exact.
  const again = await modulesHugepagesStage.check(context(host));
  t.like(again, { done: false });
});

// Issue 21: a hugetlbfs mounted, or a mount point there, before provisioning was unmounted and removed.
test('what modules-hugepages found on the mount point stays: a mount point that existed, a hugetlbfs mounted before', async (t) => {
  const dirOnly = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":true,"mounted":false}\n' });
  const ctx = context(dirOnly);
  t.like(await modulesHugepagesTeardownStage.check(ctx), { done: false, plan: [`remove ${MODULES_LOAD}`, `remove ${MODPROBE_OPTIONS}`, `remove ${SYSCTL_HUGEPAGES}`, `remove the sriov-lxc hugepages block from ${FSTAB}`, 'unmount the hugetlbfs on /mnt/huge'] });
  await modulesHugepagesTeardownStage.apply(ctx);
  t.false(dirOnly.mounted());
  t.true(dirOnly.dirs.has('/mnt/huge'));
  t.deepEqual(await modulesHugepagesTeardownStage.verify(ctx), { kept: [{ path: '/mnt/huge', why: `the directory was there before provisioning: left in place (${HUGETLBFS_FOUND})` }] });
  t.like(await modulesHugepagesTeardownStage.check(ctx), { done: true, outputs: { kept: [{ path: '/mnt/huge' }] } }, 'a second teardown leaves it too, and says so');

  const mounted = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":true,"mounted":true}\n' });
  await modulesHugepagesTeardownStage.apply(context(mounted));
  t.true(mounted.mounted());
  t.true(mounted.dirs.has('/mnt/huge'));
  t.deepEqual(await modulesHugepagesTeardownStage.verify(context(mounted)), { kept: [{ path: '/mnt/huge', why: `a hugetlbfs was mounted there before provisioning: left mounted (${HUGETLBFS_FOUND})` }] });

  // A record of another mount point says nothing about this one.
  const other = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/other","dirExisted":true,"mounted":true}\n' });
  await modulesHugepagesTeardownStage.apply(context(other));
  t.false(other.mounted());
  t.false(other.dirs.has('/mnt/huge'));
});

test('a file the operator changed is kept and named; the others go', async (t) => {
  const edited = `${sysctlText(plan.hugepages)}vm.hugetlb_shm_group = 0\n`;
  const host = provisioned({ [SYSCTL_HUGEPAGES]: edited });
  const ctx = context(host);
  const check = await modulesHugepagesTeardownStage.check(ctx);
  t.false(check.done);
  t.false(!check.done && check.plan.includes(`remove ${SYSCTL_HUGEPAGES}`));
  await modulesHugepagesTeardownStage.apply(ctx);
  t.is(host.files.get(SYSCTL_HUGEPAGES)?.content, edited);
  t.false(host.files.has(MODULES_LOAD));
  t.deepEqual(await modulesHugepagesTeardownStage.verify(ctx), { kept: [{ path: SYSCTL_HUGEPAGES, why: 'changed since sriov-lxc wrote it: left in place' }] });
  t.true(ctx.lines.some((l) => l.startsWith(`${SYSCTL_HUGEPAGES}: changed since`)));
});

test('an fstab block the operator changed stays, with its mount', async (t) => {
  const changed = fstabText(fstab, plan.hugepages).replace('pagesize=2M 0 0', 'pagesize=2M,mode=1770 0 0');
  const host = provisioned({ [FSTAB]: changed });
  const ctx = context(host);
  await modulesHugepagesTeardownStage.apply(ctx);
  t.is(host.files.get(FSTAB)?.content, changed);
  t.true(host.mounted());
  t.true(host.dirs.has('/mnt/huge'), 'its mount point too');
  t.deepEqual((await modulesHugepagesTeardownStage.verify(ctx))['kept'], [{ path: FSTAB, why: 'its sriov-lxc hugepages block changed since sriov-lxc wrote it: left in place (the mount too)' }]);
});

test('mac-reset: the unit is disabled before the unit and its script go; an edited script stays', async (t) => {
  let enabled = true;
  const script = `${macScript('node1', plan.pfs)}# checked by ops\n`;
  const host = new FakeHost('node1', { [MAC_UNIT_PATH]: macUnit(), [MAC_SCRIPT_PATH]: script });
  host.on(['systemctl', 'is-enabled', 'sriov-lxc-vf-macs.service'], () => (enabled ? { stdout: 'enabled\n' } : { code: 1, stdout: 'disabled\n' }));
  host.on(['systemctl', 'disable', 'sriov-lxc-vf-macs.service'], () => {
    enabled = false;
    return {};
  });
  host.on((argv) => argv[0] === 'rm' && argv[2] === '--', (argv) => {
    host.files.delete(argv[3] as string);
    return {};
  });
  const ctx = context(host);
  t.like(await macResetTeardownStage.check(ctx), { done: false, plan: ['disable sriov-lxc-vf-macs.service', `remove ${MAC_UNIT_PATH}`] });
  await macResetTeardownStage.apply(ctx);
  t.deepEqual(host.commands.filter((c) => !c.includes('is-enabled')), ['systemctl disable sriov-lxc-vf-macs.service', `rm -f -- ${MAC_UNIT_PATH}`]);
  t.is(host.files.get(MAC_SCRIPT_PATH)?.content, script);
  t.like(await macResetTeardownStage.check(ctx), { done: true, outputs: { kept: [{ path: MAC_SCRIPT_PATH }] } });
});

// The mount and its mount point case by case (the mutation run of tasks/teardown-modules-hugepages.ts).
test('an operator\'s own fstab line for the mount point: the mount and the mount point stay', async (t) => {
  const theirs = `${fstab}hugetlbfs /mnt/huge hugetlbfs pagesize=2M 0 0\n`;
  const host = provisioned({ [FSTAB]: theirs });
  const ctx = context(host);
  t.like(await modulesHugepagesTeardownStage.check(ctx), { done: false, plan: [`remove ${MODULES_LOAD}`, `remove ${MODPROBE_OPTIONS}`, `remove ${SYSCTL_HUGEPAGES}`] });
  await modulesHugepagesTeardownStage.apply(ctx);
  t.is(host.files.get(FSTAB)?.content, theirs);
  t.true(host.mounted());
  t.true(host.dirs.has('/mnt/huge'));
  t.deepEqual(await modulesHugepagesTeardownStage.verify(ctx), { kept: [] });
});

test('a mount point with files in it is unmounted but stays, with the record', async (t) => {
  const host = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":false,"mounted":false}\n' });
  host.dirs.delete('/mnt/huge');
  host.dirs.add('/mnt/huge-not-empty');
  const ctx = context(host);
  const check = await modulesHugepagesTeardownStage.check(ctx);
  t.false(!check.done && check.plan.includes('remove the empty mount point /mnt/huge'));
  await modulesHugepagesTeardownStage.apply(ctx);
  t.false(host.mounted());
  t.false(host.commands.includes('rmdir /mnt/huge'));
});

test('a hugetlbfs still mounted after teardown (a process held it, it came back): verify names it', async (t) => {
  const host = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":false,"mounted":false}\n' });
  const ctx = context(host);
  await modulesHugepagesTeardownStage.apply(ctx);
  host.files.set('/proc/mounts', { content: MOUNTED, mode: 0o444 });
  const e = await t.throwsAsync(modulesHugepagesTeardownStage.verify(ctx));
  t.is(e!.message, 'node1: still there after removing: the mount on /mnt/huge');
  t.is((e as FatalError).hint, 'a process may hold the hugetlbfs (fuser -m on the mount point); run teardown again');
});

test('no huge pages planned: the files go, the mount and what was recorded about it are not looked at', async (t) => {
  const none: HostPlan = { ...plan, hugepages: undefined };
  const host = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":false,"mounted":false}\n' });
  const ctx = { ...context(host), plan: none };
  await modulesHugepagesTeardownStage.apply(ctx);
  t.true(host.mounted());
  t.true(host.files.has(HUGETLBFS_FOUND));
  t.is(host.files.get(FSTAB)?.content, fstabText(fstab, plan.hugepages), 'the fstab block is judged against the plan: without huge pages it is not ours to take');
});

test('an fstab block with a line the operator added is changed: kept whole, the mount too', async (t) => {
  const ours = fstabText(fstab, plan.hugepages);
  const added = ours.replace('hugetlbfs /mnt/huge hugetlbfs pagesize=2M 0 0\n', 'hugetlbfs /mnt/huge hugetlbfs pagesize=2M 0 0\ntmpfs /mnt/scratch tmpfs defaults 0 0\n');
  t.not(added, ours, 'the fixture has the line');
  const host = provisioned({ [FSTAB]: added });
  await modulesHugepagesTeardownStage.apply(context(host));
  t.is(host.files.get(FSTAB)?.content, added);
  t.true(host.mounted());
});

test('check shows the fstab change as a diff and logs what it keeps; verify on an untouched node names everything', async (t) => {
  const host = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":true,"mounted":false}\n' });
  const ctx = context(host);
  const check = await modulesHugepagesTeardownStage.check(ctx);
  t.deepEqual(!check.done && check.diffs?.map((d) => d.path), [FSTAB]);
  t.regex((!check.done && check.diffs?.[0]?.diff) || '', /^-hugetlbfs \/mnt\/huge hugetlbfs pagesize=2M 0 0$/m);
  t.deepEqual(ctx.lines, [`/mnt/huge: the directory was there before provisioning: left in place (${HUGETLBFS_FOUND})`]);
  const e = await t.throwsAsync(modulesHugepagesTeardownStage.verify(ctx));
  t.is(e!.message, `node1: still there after removing: ${MODULES_LOAD}, ${MODPROBE_OPTIONS}, ${SYSCTL_HUGEPAGES}, ${FSTAB}, the mount on /mnt/huge`);
  const fresh = provisioned({ [HUGETLBFS_FOUND]: '{"mount":"/mnt/huge","dirExisted":false,"mounted":false}\n' });
  await t.throwsAsync(modulesHugepagesTeardownStage.verify(context(fresh)), { message: new RegExp(`the mount on /mnt/huge, ${HUGETLBFS_FOUND}$`) });
});

test('the stage\'s inputs: driver modules, VF counts and huge pages (a change re-runs teardown)', (t) => {
  t.deepEqual(modulesHugepagesTeardownStage.inputs(plan), { driver: [plan.driver.pfModule, plan.driver.vfModule], pfs: [[8, plan.pfs[0]!.vfCreation], [8, plan.pfs[1]!.vfCreation]], hugepages: plan.hugepages });
  t.like(modulesHugepagesTeardownStage.inputs({ ...plan, hugepages: undefined }), { hugepages: null });
});
