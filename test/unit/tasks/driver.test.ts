import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, type FakeHost } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { parseInventory } from '../../../inventory/load.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { CommandError, FatalError } from '../../../core/errors.ts';
import { driverBuildStage } from '../../../tasks/driver-build.ts';
import { nodeDistro } from '../../../node/facts/distro.ts';
import { parseOsRelease } from '../../../node/parse/os-release.ts';
import type { StageContext, StageOutputs } from '../../../engine/stage.ts';
import { ObservingHost } from '../../../hosts/observing-host.ts';

const KERNEL = '6.1.0-21-amd64';
const SRC = '/var/lib/sriov-lxc/src';
const RECORD = '/var/lib/sriov-lxc/driver-build.json';

// The tarballs are only hashed and uploaded on the controller: their bytes do not matter here.
const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-driver-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const pfTarball = join(dir, 'ixgbe-5.19.6.tar.gz');
const vfTarball = join(dir, 'ixgbevf-4.18.9.tar.gz');
writeFileSync(pfTarball, 'ixgbe 5.19.6 sources');
writeFileSync(vfTarball, 'ixgbevf 4.18.9 sources');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const builtRecord = {
  kernel: KERNEL,
  modules: [
    { module: 'ixgbe', version: '5.19.6', tarball: 'ixgbe-5.19.6.tar.gz', sha256: sha('ixgbe 5.19.6 sources') },
    { module: 'ixgbevf', version: '4.18.9', tarball: 'ixgbevf-4.18.9.tar.gz', sha256: sha('ixgbevf 4.18.9 sources') },
  ],
};

function plan(driver = `{ source: tarball, pf: ${pfTarball}, vf: ${vfTarball} }`): HostPlan {
  return parseInventory(`
hosts:
  node1:
    address: 10.0.0.1
    driver: ${driver}
    pfs: [{ name: enp4s0f0, vfs: 8 }]
`, '/tmp/inventory.yaml').hosts[0]!;
}

function context(host: FakeHost | ObservingHost, p: HostPlan = plan(), osRelease = 'stages/bios/os-release-debian12.txt'): StageContext {
  const outputs: Record<string, StageOutputs> = { 'bios-verify': { distro: nodeDistro(parseOsRelease(fixture(osRelease))) } };
  return { host, plan: p, outputs, log: () => {}, signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state' };
}

interface NodeState {
  kernel: string;
  headers: boolean;
  /** module → version installed for the running kernel (null: in-kernel, no version). */
  installed: Map<string, string | null>;
  /** Fixture name of a failing build's output, or false. */
  buildFails: string | false;
}

function node(files: Record<string, string>, state: Partial<NodeState> = {}): FakeHost {
  const s: NodeState = { kernel: KERNEL, headers: true, installed: new Map([['ixgbe', null], ['ixgbevf', null]]), buildFails: false, ...state };
  const host = new BatchingFakeHost('node1', files);
  host.on(['uname', '-r'], () => ({ stdout: `${s.kernel}\n` }));
  host.on((argv) => argv[0] === 'modinfo', (argv) => {
    const module = argv.at(-1) as string;
    const version = s.installed.get(module);
    if (version === undefined) return { code: 1, stderr: fixture('stages/driver/modinfo-ixgbe-not-found.stderr').replace('ixgbe', module) };
    return { stdout: version === null ? fixture('parse/modinfo-F-version-ixgbe-inbox.txt') : fixture('stages/driver/modinfo-F-version-ixgbe-lab-5.19.6.txt').replace('5.19.6', version) };
  });
  host.on((argv) => argv[0] === 'test' && argv[2] === `/lib/modules/${s.kernel}/build`, () => ({ code: s.headers ? 0 : 1 }));
  host.on((argv) => ['mkdir', 'rm', 'tar', 'depmod'].includes(argv[0] as string), {});
  host.on((argv) => argv[0] === 'make', (argv) => {
    if (s.buildFails) return { code: 2, stdout: fixture(`stages/driver/${s.buildFails}.stdout`), stderr: fixture(`stages/driver/${s.buildFails}.stderr`) };
    const [, module, version] = /\/([a-z]+)-([\d.]+)\/src$/.exec(argv[2] as string) ?? [];
    s.installed.set(module as string, version as string);
    return { stdout: fixture('stages/driver/make-install-lab.stdout').replaceAll('ixgbe-5.19.6', `${module}-${version}`) };
  });
  return host;
}

test('a fresh node: why it needs a build, and the steps', async (t) => {
  const host = node({});
  const result = await driverBuildStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.deepEqual(result.plan, [
    'why: ixgbe (in-kernel, no version) is installed, the tarball is 5.19.6',
    'why: ixgbevf (in-kernel, no version) is installed, the tarball is 4.18.9',
    `upload ixgbe-5.19.6.tar.gz (sha256 ${sha('ixgbe 5.19.6 sources').slice(0, 12)}…) to ${SRC}/`,
    `upload ixgbevf-4.18.9.tar.gz (sha256 ${sha('ixgbevf 4.18.9 sources').slice(0, 12)}…) to ${SRC}/`,
    `build and install ixgbe 5.19.6 for kernel ${KERNEL}: make -C ${SRC}/ixgbe-5.19.6/src install`,
    `build and install ixgbevf 4.18.9 for kernel ${KERNEL}: make -C ${SRC}/ixgbevf-4.18.9/src install`,
    'depmod -a',
  ]);
  t.false(host.calls.some((c) => c.kind === 'upload' || c.kind === 'writeFile'));
});

test('apply uploads, unpacks, builds ixgbe then ixgbevf, runs depmod and records the build; then check is done', async (t) => {
  const host = node({});
  const ctx = context(host);
  await driverBuildStage.apply(ctx);
  t.deepEqual(host.calls.filter((c) => c.kind === 'upload').map((c) => c.path), [`${SRC}/ixgbe-5.19.6.tar.gz`, `${SRC}/ixgbevf-4.18.9.tar.gz`]);
  t.deepEqual(host.commands.filter((c) => !/^(uname|modinfo|test) /.test(c) && c !== 'uname -r'), [
    `rm -rf ${SRC}/ixgbe-5.19.6`,
    `mkdir -p ${SRC}/ixgbe-5.19.6`,
    `tar -xzf ${SRC}/ixgbe-5.19.6.tar.gz -C ${SRC}/ixgbe-5.19.6 --strip-components=1`,
    `make -C ${SRC}/ixgbe-5.19.6/src install`,
    `rm -rf ${SRC}/ixgbevf-4.18.9`,
    `mkdir -p ${SRC}/ixgbevf-4.18.9`,
    `tar -xzf ${SRC}/ixgbevf-4.18.9.tar.gz -C ${SRC}/ixgbevf-4.18.9 --strip-components=1`,
    `make -C ${SRC}/ixgbevf-4.18.9/src install`,
    'depmod -a',
  ]);
  t.deepEqual((host as BatchingFakeHost).batches.filter((b) => b.some((c) => c.startsWith('tar '))).map((b) => b.length), [3, 3], 'each tree made fresh and unpacked in one round trip');
  t.deepEqual(JSON.parse(host.files.get(RECORD)?.content ?? '{}'), builtRecord);
  t.deepEqual(await driverBuildStage.verify(ctx), { source: 'tarball', ...builtRecord });
  t.deepEqual(await driverBuildStage.check(ctx), { done: true, reason: `ixgbe 5.19.6 and ixgbevf 4.18.9 built from the planned tarballs are installed for kernel ${KERNEL}` });
});

test('check then apply, as the engine runs them: the kernel and its headers are read once, the source directory made by the first upload', async (t) => {
  const node1 = node({}) as BatchingFakeHost;
  const ctx = context(new ObservingHost(node1));
  const check = await driverBuildStage.check(ctx);
  t.false(check.done);
  const checked = node1.commands.length;
  await driverBuildStage.apply(ctx);
  const applied = node1.commands.slice(checked);
  t.deepEqual(applied.filter((c) => c === 'uname -r' || c.startsWith('test -d ') || c === `mkdir -p ${SRC}`), [], 'apply asks nothing the check read');
  t.deepEqual(node1.calls.filter((c) => c.kind === 'upload').map((c) => c.path), [`${SRC}/ixgbe-5.19.6.tar.gz`, `${SRC}/ixgbevf-4.18.9.tar.gz`]);
});

test('missing kernel headers stop the stage before anything is uploaded, naming the package', async (t) => {
  const host = node({}, { headers: false });
  const error = await t.throwsAsync(driverBuildStage.check(context(host)), { instanceOf: FatalError });
  t.is(error?.message, `node1: the kernel headers for ${KERNEL} are missing (no /lib/modules/${KERNEL}/build): install linux-headers-${KERNEL}`);
  t.is(error?.hint, `run \`apt-get install linux-headers-${KERNEL}\` on the node (the headers must match the running kernel exactly), then run again`);
  t.false(host.calls.some((c) => c.kind === 'upload' || c.kind === 'writeFile'));
});

test('on CentOS 7 the headers package is kernel-devel', async (t) => {
  const host = node({}, { headers: false, kernel: '3.10.0-123.13.2.el7.x86_64' });
  const error = await t.throwsAsync(driverBuildStage.apply(context(host, plan(), 'stages/bios/os-release-centos7.txt')), { instanceOf: FatalError });
  t.regex(error?.message ?? '', /install kernel-devel-3\.10\.0-123\.13\.2\.el7\.x86_64$/);
  t.regex(error?.hint ?? '', /yum install kernel-devel-3\.10\.0-123\.13\.2\.el7\.x86_64/);
});

test('a build failure names the make command, its exit code, the compiler error and the end of the output', async (t) => {
  const host = node({}, { buildFails: 'make-install-lab-build-fails' });
  const error = await t.throwsAsync(driverBuildStage.apply(context(host)), { instanceOf: CommandError });
  t.is(error?.message, `building ixgbe 5.19.6 for kernel ${KERNEL} failed (exit 2): /var/lib/sriov-lxc/src/ixgbe-5.19.6/src/kcompat.h:5123:10: fatal error: linux/pci-aspm.h: No such file or directory`);
  t.is(error?.command, `make -C ${SRC}/ixgbe-5.19.6/src install`);
  t.is(error?.code, 2);
  t.is(error?.stderrTail, fixture('stages/driver/make-install-lab-build-fails.stderr').trimEnd().split('\n').slice(-15).join('\n'));
  t.regex(error?.hint ?? '', /does not build against kernel 6\.1\.0-21-amd64/);
  t.false(host.files.has(RECORD), 'no record of a failed build');
});

test('a plain gcc error (a driver too old for the kernel) is the message too', async (t) => {
  const host = node({}, { buildFails: 'make-install-compile-error' });
  const error = await t.throwsAsync(driverBuildStage.apply(context(host)), { instanceOf: CommandError });
  t.regex(error?.message ?? '', /failed \(exit 2\): ixgbe_main\.c:2:16: error: expected declaration specifiers or ‘\.\.\.’ before string constant$/);
});

test('a new kernel means a rebuild', async (t) => {
  const host = node({ [RECORD]: JSON.stringify(builtRecord) }, { kernel: '6.1.0-22-amd64', installed: new Map([['ixgbe', null], ['ixgbevf', null]]) });
  const result = await driverBuildStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.is(result.plan[0], `why: the kernel changed from ${KERNEL} to 6.1.0-22-amd64 since the last build`);
});

test('a replaced tarball of the same version means a rebuild', async (t) => {
  const stale = { ...builtRecord, modules: [{ ...builtRecord.modules[0]!, sha256: sha('older bytes') }, builtRecord.modules[1]!] };
  const host = node({ [RECORD]: JSON.stringify(stale) }, { installed: new Map([['ixgbe', '5.19.6'], ['ixgbevf', '4.18.9']]) });
  const result = await driverBuildStage.check(context(host));
  if (result.done) return t.fail('expected a plan');
  t.is(result.plan[0], `why: ixgbe-5.19.6.tar.gz changed since ixgbe was built (sha256 ${sha('older bytes').slice(0, 12)}… → ${sha('ixgbe 5.19.6 sources').slice(0, 12)}…)`);
});

test('a tarball whose name has no version is refused before anything happens', async (t) => {
  const renamed = join(dir, 'ixgbe.tgz');
  writeFileSync(renamed, 'x');
  const error = await t.throwsAsync(driverBuildStage.check(context(node({}), plan(`{ source: tarball, pf: ${renamed}, vf: ${vfTarball} }`))), { instanceOf: FatalError });
  t.is(error?.message, 'cannot tell the ixgbe version from the tarball name ixgbe.tgz');
});

test('a tarball missing on the controller is named', async (t) => {
  const error = await t.throwsAsync(driverBuildStage.check(context(node({}), plan(`{ source: tarball, pf: ${join(dir, 'nope-1.0.tar.gz')}, vf: ${vfTarball} }`))), { instanceOf: FatalError });
  t.is(error?.message, `the ixgbe tarball ${join(dir, 'nope-1.0.tar.gz')} does not exist on this controller`);
});

test('in-box drivers: done when modinfo finds both', async (t) => {
  const host = node({}, { installed: new Map([['ixgbe', null], ['ixgbevf', null]]) });
  const ctx = context(host, plan('{ source: inbox }'));
  t.deepEqual(await driverBuildStage.check(ctx), { done: true, reason: `in-box drivers installed for kernel ${KERNEL}: ixgbe (in-kernel), ixgbevf (in-kernel)` });
  t.deepEqual(await driverBuildStage.verify(ctx), { source: 'inbox', kernel: KERNEL, modules: [{ module: 'ixgbe', version: null }, { module: 'ixgbevf', version: null }] });
});

test('in-box drivers missing: a diagnosis with the package to install', async (t) => {
  const host = node({}, { installed: new Map([['ixgbe', null]]) });
  const error = await t.throwsAsync(driverBuildStage.check(context(host, plan('{ source: inbox }'))), { instanceOf: FatalError });
  t.is(error?.message, `node1: the in-box driver ixgbevf is not installed for kernel ${KERNEL} (modinfo: ERROR: Module ixgbevf not found.)`);
});
