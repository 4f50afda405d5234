// The benchmark directory is shared with the containers and others may write it (issue 17,
// defect 3): root works in a private directory it made there, and never writes through a link
// planted in the shared one.
import test from 'ava';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FatalError } from '../../../core/errors.ts';
import { LocalHost } from '../../../hosts/local.ts';
import { QUICK_PROFILE, type BenchProfile } from '../../../benchmark/run/profiles.ts';
import { measure } from '../../../benchmark/run/runner.ts';
import { checkWorkDir } from '../../../benchmark/run/work-dir.ts';
import { benchPlan } from '../../fixtures/bench/fake-node.ts';

// Output of WORK_DIR_SCRIPT and of `stat -c '%F|%u|%a'`, captured on Debian 12 (coreutils 9.1).
const MADE = '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU\n0\ndirectory|0|700\n';

test('the private directory mktemp -d made is accepted: a directory of ours, 0700', (t) => {
  t.deepEqual(checkWorkDir(MADE, '/srv/bench'), { ok: true, path: '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU' });
  const trailing = '/srv/bench//.sriov-lxc-bench.1UwM9lpTUU\n0\ndirectory|0|700\n';
  t.deepEqual(checkWorkDir(trailing, '/srv/bench/'), { ok: true, path: '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU' });
});

test('a link, another owner, another mode or a path elsewhere is refused', (t) => {
  const at = (stat: string, path = '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU') => checkWorkDir(`${path}\n0\n${stat}\n`, '/srv/bench');
  t.like(at('symbolic link|0|777'), { ok: false, problem: '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU is not a directory but "symbolic link"' });
  t.like(at('directory|65534|700'), { ok: false, problem: '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU is owned by uid 65534, not by uid 0 (ours)' });
  t.like(at('directory|0|755'), { ok: false, problem: '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU has mode 755, not 700' });
  t.like(at('directory|0|700', '/etc/.sriov-lxc-bench.1UwM9lpTUU'), { ok: false });
  t.like(at('directory|0|700', '/srv/bench/x'), { ok: false });
  t.like(checkWorkDir('', '/srv/bench'), { ok: false });
});

/** One fio point, one repetition: enough to create, write and remove every file the benchmark uses. */
const TINY: BenchProfile = {
  ...QUICK_PROFILE,
  repetitions: 1,
  fio: { runtimeMs: 200, rampMs: 0, sizeBytes: 1024 * 1024, mirrored: false },
  fioTests: QUICK_PROFILE.fioTests.filter((f) => f.id === 'randwrite-4k-threads').map((f) => ({ ...f, values: [1] })),
};

const VICTIM_TEXT = 'root only\n'.repeat(200_000);

function setUp(t: { teardown: (fn: () => void) => void }) {
  const bench = mkdtempSync(join(tmpdir(), 'sriov-lxc-bench-dir-'));
  const vault = mkdtempSync(join(tmpdir(), 'sriov-lxc-bench-vault-'));
  t.teardown(() => {
    rmSync(bench, { recursive: true, force: true });
    rmSync(vault, { recursive: true, force: true });
  });
  // Like /tmp: everyone may write, sticky.
  chmodSync(bench, 0o1777);
  // Larger than fio's file: fio writes into an existing file big enough instead of laying out a new one.
  const victim = join(vault, 'shadow');
  writeFileSync(victim, VICTIM_TEXT, { mode: 0o600 });
  const plan = { ...benchPlan({ peer: undefined, fio: { directory: bench } }, []), name: 'this-machine' };
  const ctx = { host: new LocalHost('this-machine'), plan, log: () => {}, signal: new AbortController().signal };
  return { bench, victim, ctx };
}

test('fio, its probe and the marker never write through links planted in the benchmark directory', async (t) => {
  const { bench, victim, ctx } = setUp(t);
  const planted = ['.sriov-lxc-bench-marker', 'sriov-lxc-fio.dat', 'sriov-lxc-fio.probe'];
  for (const name of planted) symlinkSync(victim, join(bench, name));
  const measured = await measure(ctx, TINY);
  t.is(measured.fio.tests[0]!.points.length, 1, 'fio ran');
  t.true(readFileSync(victim, 'utf8') === VICTIM_TEXT, 'the file the links point to is unchanged');
  t.is(statSync(victim).mode & 0o7777, 0o600);
  t.deepEqual(readdirSync(bench).sort(), [...planted].sort(), 'the private directory is gone, the links are as they were');
  for (const name of planted) t.true(lstatSync(join(bench, name)).isSymbolicLink());
});

test('a benchmark directory everyone can write that is not sticky is refused before anything is written', async (t) => {
  const { bench, ctx } = setUp(t);
  chmodSync(bench, 0o777);
  const error = await t.throwsAsync(measure(ctx, TINY), { instanceOf: FatalError });
  t.regex(error!.message, /writable by everyone \(mode 777\) and not sticky/);
  t.regex(error!.hint!, /chmod o-w .* or chmod \+t/);
  t.deepEqual(readdirSync(bench), []);
});
