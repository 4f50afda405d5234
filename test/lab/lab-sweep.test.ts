// The sweep before `npm test`: a lab left by a killed test worker (its after.always hooks never
// ran, the lab's detached supervisor stays) is taken down when the next run starts; a lab a
// person started, and the lab of a test still running, are left alone.
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

/** A test worker of its own: a suite lab directory, a lab in it, then it waits to be killed. */
async function workerWithLab(): Promise<{ dir: string; kill: () => Promise<void> }> {
  const script = `
    const { labUp, suiteLabDir } = await import(${JSON.stringify(LAB_API)});
    const dir = suiteLabDir('sweep-victim');
    await labUp({ dir, nodes: 1, flavour: 'debian12', bootDelayMs: 300 });
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

test('lab: the sweep before npm test takes down a killed worker\'s lab, not a lab started by hand or a running test\'s', async (t) => {
  // By hand: even in a directory named like the suite's, without its marker.
  const byHand = mkdtempSync(join(tmpdir(), `${SUITE_LAB_PREFIX}by-hand-`));
  const running = suiteLabDir('sweep-running');
  const worker = await workerWithLab();
  t.teardown(async () => {
    for (const dir of [byHand, running, worker.dir]) {
      await labDown(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await Promise.all([labUp({ dir: byHand, nodes: 1, flavour: 'debian12', bootDelayMs: 300 }), labUp({ dir: running, nodes: 1, flavour: 'debian12', bootDelayMs: 300 })]);
  const victim = readState(worker.dir);
  await worker.kill();
  t.true(up(worker.dir), "the killed worker's lab is still up, as after an ava timeout");

  const pretest = spawnSync('npm', ['run', 'pretest'], { cwd: REPO, encoding: 'utf8' });
  t.is(pretest.status, 0, pretest.stderr);
  t.regex(pretest.stdout, new RegExp(`lab: swept ${worker.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, left by a killed test run`));
  t.false(existsSync(worker.dir));
  t.false(victim?.supervisor !== undefined && isRunning(victim.supervisor), "the killed worker's supervisor is stopped");
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  t.false(new RegExp(`^sl${victim?.slot}-`, 'm').test(netns), netns);
  t.true(up(byHand), 'a lab started by hand stays up');
  t.true(up(running), "a running test's lab stays up");
});
