// The sweep before `npm test`: a lab left by a killed test worker (its after.always hooks never
// ran, the lab's detached supervisor stays) or by `npm run bench` killed with SIGKILL is taken
// down when the next run starts; a lab a person started, and the lab of a test still running, are
// left alone.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning } from '../../lab/processes.ts';
import { readState } from '../../lab/state.ts';
import { labDown, labUp, suiteLabDir, SUITE_LAB_PREFIX } from '../../lab/index.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LAB_API = new URL('../../lab/index.ts', import.meta.url).href;

/**
 * A process of its own with a marked directory and a lab in it, then it waits to be killed: a test
 * worker (the lab in its suite directory) or the bench (the lab in a subdirectory of its work dir).
 */
async function workerWithLab(kind: 'test' | 'bench'): Promise<{ dir: string; kill: () => Promise<void> }> {
  const script = `
    const { labUp, suiteLabDir, benchWorkDir } = await import(${JSON.stringify(LAB_API)});
    const dir = ${kind === 'test' ? "suiteLabDir('sweep-victim')" : 'benchWorkDir()'};
    await labUp({ dir: ${kind === 'test' ? 'dir' : "dir + '/lab-1-full'"}, nodes: 1, flavour: 'debian12', bootDelayMs: 300 });
    console.log(dir);
    setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.endsWith('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`the worker exited (${code}) before its lab was up`)));
  });
  return { dir, kill: () => new Promise((done) => (child.kill('SIGKILL'), child.on('exit', () => done()))) };
}

const up = (dir: string): boolean => {
  const state = readState(dir);
  return state?.supervisor !== undefined && isRunning(state.supervisor);
};

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('lab: the sweep before npm test takes down a killed worker\'s or bench\'s lab, not a lab started by hand or a running test\'s', async (t) => {
  // By hand: even in a directory named like the suite's, without its marker.
  const byHand = mkdtempSync(join(tmpdir(), `${SUITE_LAB_PREFIX}by-hand-`));
  const running = suiteLabDir('sweep-running');
  const [worker, bench] = await Promise.all([workerWithLab('test'), workerWithLab('bench')]);
  const benchLab = join(bench.dir, 'lab-1-full');
  t.teardown(async () => {
    for (const dir of [byHand, running, worker.dir, benchLab]) await labDown(dir);
    for (const dir of [byHand, running, worker.dir, bench.dir]) rmSync(dir, { recursive: true, force: true });
  });
  await Promise.all([labUp({ dir: byHand, nodes: 1, flavour: 'debian12', bootDelayMs: 300 }), labUp({ dir: running, nodes: 1, flavour: 'debian12', bootDelayMs: 300 })]);
  const victims = [readState(worker.dir), readState(benchLab)];
  await Promise.all([worker.kill(), bench.kill()]);
  t.true(up(worker.dir), "the killed worker's lab is still up, as after an ava timeout");
  t.true(up(benchLab), "the killed bench's lab is still up, as after a SIGKILL");

  const pretest = spawnSync('npm', ['run', 'pretest'], { cwd: REPO, encoding: 'utf8' });
  t.is(pretest.status, 0, pretest.stderr);
  t.regex(pretest.stdout, new RegExp(`lab: swept ${escaped(worker.dir)}, left by a killed test run`));
  t.regex(pretest.stdout, new RegExp(`lab: swept ${escaped(bench.dir)}, left by a killed npm run bench \\(took down ${escaped(benchLab)}\\)`));
  t.false(existsSync(worker.dir));
  t.false(existsSync(bench.dir));
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  for (const victim of victims) {
    t.false(victim?.supervisor !== undefined && isRunning(victim.supervisor), "the killed process's supervisor is stopped");
    t.false(new RegExp(`^sl${victim?.slot}-`, 'm').test(netns), netns);
  }
  t.true(up(byHand), 'a lab started by hand stays up');
  t.true(up(running), "a running test's lab stays up");
});
