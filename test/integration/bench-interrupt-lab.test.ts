// `npm run bench` stopped by SIGINT sent to its zx process (as a person's Ctrl-C or a `kill -INT`)
// once its lab is up and provision.ts runs on it: the provisioning is stopped and waited for, the
// lab taken down (its namespaces and every process in them, the nodes' sshd included, the
// supervisor, the peer's iperf3, links, cgroups), the work directory removed, exit 130. It once
// exited at once and left all of it. The pieces without a lab: test/unit/lab/interrupt.test.ts.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDown, nodePower, suiteLabDir } from '../../lab/index.ts';
import { isRunning, recordOf, type ProcessRecord } from '../../lab/processes.ts';
import { readState } from '../../lab/state.ts';
import { REPO, waitFor } from '../helpers/lab-fixture.ts';

const ZX = realpathSync(join(REPO, 'node_modules/.bin/zx'));
const BENCH = join(REPO, 'bench/run.ts');

/** The provision.ts processes whose arguments name a path under `dir`. */
function provisionPids(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('workflows/provision.ts')) && argv.some((a) => a.startsWith(`${dir}/`))) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

const netnsPids = (netns: string): number[] =>
  spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

test.serial('lab: npm run bench stopped by SIGINT once its lab is up and provision.ts runs: the run stopped, the lab taken down, the work dir removed, exit 130', async (t) => {
  t.timeout(1_200_000);
  const parent = suiteLabDir('bench-interrupt');
  // Its work dir goes under TMPDIR (os.tmpdir()): inside this test's directory, swept if the test dies.
  const bench = spawn(process.execPath, [ZX, BENCH, '--parts', 'fleet', '--scales', '1', '--out', join(parent, 'results.json')], {
    env: { ...process.env, TMPDIR: parent },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  bench.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  bench.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const closed = new Promise<number | null>((done) => bench.once('close', done));
  t.teardown(async () => {
    if (bench.exitCode === null && bench.signalCode === null) {
      process.kill(bench.pid!, 'SIGKILL');
      await closed;
    }
    for (const work of readdirSync(parent).filter((n) => n.startsWith('sriov-lxc-bench-'))) {
      for (const lab of readdirSync(join(parent, work))) if (existsSync(join(parent, work, lab, 'lab.json'))) await labDown(join(parent, work, lab));
    }
    for (const pid of provisionPids(parent)) process.kill(pid, 'SIGKILL');
    rmSync(parent, { recursive: true, force: true });
  });

  const work = join(parent, await waitFor('the bench\'s work dir', () => readdirSync(parent).find((n) => n.startsWith('sriov-lxc-bench-')), 120_000));
  const labDir = join(work, 'lab-1-full');
  const provision = await waitFor(`provision.ts on the bench's lab (bench output so far:\n${output})`, () => provisionPids(work)[0], 600_000, 200);
  // Its signal handlers are in place once it runs stages (its host's state is there).
  await waitFor('provision.ts running the stages', () => (existsSync(join(work, 'state-1-full', 'hosts', 'node1')) ? true : undefined), 120_000, 100);
  const state = readState(labDir)!;
  const power = nodePower(labDir, 'node1')!;
  t.is(power.phase, 'up', 'the lab is up');
  const inNamespaces = state.created.netns.flatMap(netnsPids);
  t.true(inNamespaces.some((pid) => comm(pid) === 'sshd'), `the node's sshd runs in the lab's namespaces: ${inNamespaces.map((p) => `${p} ${comm(p)}`).join(', ')}`);
  const records: [string, ProcessRecord][] = [
    ['provision.ts', recordOf(provision)],
    ['the supervisor', state.supervisor!],
    ["the peer's iperf3", state.peerIperf!],
    ...inNamespaces.flatMap((pid): [string, ProcessRecord][] => {
      try {
        return [[`${comm(pid)} (pid ${pid}) in the lab's namespaces`, recordOf(pid)]];
      } catch {
        return [];
      }
    }),
  ];

  process.kill(bench.pid!, 'SIGINT');
  const code = await Promise.race([closed, sleep(600_000, undefined, { ref: false }).then(() => 'still running after 10 min')]);
  t.is(code, 130, output);
  t.regex(output, new RegExp(`bench: SIGINT: stopping provision\\.ts \\(pid ${provision}\\) and waiting for it`));
  t.regex(output, new RegExp(`bench: interrupted by SIGINT\\ncleaned up:\\n  stopped provision\\.ts \\(pid ${provision}\\): exit 130\\n  took down the lab in ${labDir}\\n(.*\\n)*  removed ${work}\\n`));
  // Nothing of it is left.
  t.deepEqual(records.filter(([, r]) => isRunning(r)).map(([what]) => what), []);
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  t.deepEqual(state.created.netns.filter((ns) => new RegExp(`^${ns}\\b`, 'm').test(netns)), [], netns);
  t.deepEqual(state.created.rootLinks.filter((link) => spawnSync('ip', ['link', 'show', link]).status === 0), []);
  t.deepEqual(state.created.cgroups.filter((cg) => existsSync(cg)), []);
  t.false(existsSync(work), 'the work dir is removed');
  t.deepEqual(provisionPids(parent), []);
});
