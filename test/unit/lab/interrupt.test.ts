// lab/interrupt.ts without a lab: a command (test/fixtures/lab/interrupted-command.ts) with a work
// directory and one child run, signalled as the terminal's Ctrl-C signals it (its whole process
// group). The child gets the signal once and is waited for, the directory goes, the command says
// what it cleaned and exits 130/143; a second signal stops at once and names what may be left.
// Labs taken down on a signal: test/integration/bench-interrupt-lab.test.ts.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const COMMAND = fileURLToPath(new URL('../../fixtures/lab/interrupted-command.ts', import.meta.url));

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Started {
  command: ChildProcess;
  dir: string;
  signals: string;
  /** Resolves when the command has printed `text` on stdout or stderr. */
  printed(text: string): Promise<void>;
  ended: Promise<Ended>;
}

function start(t: { teardown(fn: () => void): void }, mode: 'stage' | 'stubborn'): Started {
  const parent = mkdtempSync(join(tmpdir(), 'sriov-lxc-interrupt-test-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'work');
  // Its own process group, as a command started from a shell: the test signals that group.
  const command = spawn(process.execPath, [COMMAND, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; done: () => void }[] = [];
  const check = () => {
    for (const w of waiters.splice(0)) (stdout.includes(w.text) || stderr.includes(w.text) ? w.done() : waiters.push(w));
  };
  command.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  command.stderr!.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
  const t0 = Date.now();
  const closed = new Promise<Ended>((done) => command.once('close', (code) => done({ code, stdout, stderr, ms: Date.now() - t0 })));
  // Bounded here, not by ava's timeout (which skips the teardown that stops the processes).
  const ended = Promise.race([closed, sleep(15_000, undefined, { ref: false }).then(() => Promise.reject(new Error(`the command still runs after 15 s:\n${stdout}${stderr}`)))]);
  ended.catch(() => {});
  t.teardown(() => {
    // The child leads a process group of its own (TRACKED_CHILD): a failed test stops both groups.
    const child = Number(/ready: child (\d+)/.exec(stdout)?.[1]);
    for (const group of [command.pid!, ...(child > 0 ? [child] : [])]) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // ended
      }
    }
  });
  const printed = (text: string) =>
    Promise.race([
      new Promise<void>((done) => {
        waiters.push({ text, done });
        check();
      }),
      closed.then((e) => {
        throw new Error(`the command ended (exit ${e.code}) before printing ${JSON.stringify(text)}:\n${e.stdout}${e.stderr}`);
      }),
    ]);
  return { command, dir, signals: `${dir}.signals`, printed, ended };
}

const childPid = (stderr: string): number => Number(/interrupted-child\.ts \(pid (\d+)\)/.exec(stderr)?.[1]);

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await sleep(20);
  }
  return false;
}

for (const [signal, exit] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} to the command's process group: the child gets it once and is waited for, the work dir removed, what was cleaned said, exit ${exit}`, async (t) => {
    const run = start(t, 'stage');
    await run.printed('ready');
    t.true(existsSync(join(run.dir, 'work')));
    process.kill(-run.command.pid!, signal);
    const ended = await run.ended;
    t.is(ended.code, exit, ended.stderr);
    t.is(readFileSync(run.signals, 'utf8'), `${signal}\n`, 'the terminal\'s signal reached the command only; it passed it on once');
    t.false(existsSync(run.dir), 'the work dir is removed');
    t.notRegex(ended.stdout, /ended by itself/);
    const pid = childPid(ended.stderr);
    t.regex(ended.stderr, new RegExp(`fixture: ${signal}: stopping interrupted-child\\.ts \\(pid ${pid}\\) and waiting for it`));
    // exit 7 comes 300 ms after the signal: the command waited for the child to finish its "stage".
    t.regex(ended.stderr, new RegExp(`fixture: interrupted by ${signal}\\ncleaned up:\\n  stopped interrupted-child\\.ts \\(pid ${pid}\\): exit 7\\n  removed ${run.dir}\\n$`));
  });
}

test('a second SIGINT stops at once: passed on to the child, what may be left is named with how to remove it', async (t) => {
  const run = start(t, 'stubborn');
  await run.printed('ready');
  process.kill(-run.command.pid!, 'SIGINT');
  await run.printed('SIGINT again to stop at once');
  await sleep(200);
  t.true(existsSync(run.dir), 'the stubborn child still runs: nothing is removed yet');
  process.kill(-run.command.pid!, 'SIGINT');
  const ended = await run.ended;
  t.is(ended.code, 130, ended.stderr);
  const pid = childPid(ended.stderr);
  t.regex(ended.stderr, new RegExp(`fixture: SIGINT again: stopping at once; may be left:\\n  interrupted-child\\.ts, pid ${pid}: kill ${pid}\\n  ${run.dir}: rm -rf ${run.dir}\\n$`));
  t.true(existsSync(run.dir), 'stopped at once: the work dir is left, as said');
  t.true(await gone(pid), 'the child got the second signal too, and stopped');
  t.is(readFileSync(run.signals, 'utf8'), 'SIGINT\nSIGINT\n');
});
