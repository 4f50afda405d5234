// Runs the measurements of one benchmark on a host and in its containers, through Host.exec only
// (the runner does not know whether the host is local or remote). Every point is measured on every
// target before the next repetition, so a drift over time (thermal, background load) hits the host
// and the containers alike instead of showing up as a container penalty; and the order of the
// targets rotates from one repetition to the next (host, c1, c2; c1, c2, host; …), so that going
// first or last at a point (a warm cache, a file just laid out) is not always the same target's lot.
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import type { ExecResult, Host } from '../../hosts/host.ts';
import { commandLine } from '../../hosts/quote.ts';
import { CommandError, FatalError, tail } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { measuredSide } from '../stats/analysis.ts';
import { cleanupArgv, directProbeArgv, fioArgv, inTarget, iperf3Argv, whichArgv, workDirArgv } from './commands.ts';
import { checkWorkDir } from './work-dir.ts';
import type { Iperf3Direction } from './commands.ts';
import { parseFio } from './parse-fio.ts';
import { inPeerTurn } from './peer-turns.ts';
import { isServerBusy, parseIperf3 } from './parse-iperf3.ts';
import type { BenchProfile } from './profiles.ts';
import { targetLabelOf } from '../results/results.ts';
import type { BenchTarget, BenchmarkDocument, FioPoint, FioSample, FioTestResult, Iperf3Results, Iperf3Sample } from '../results/results.ts';

export type Measurements = Pick<BenchmarkDocument, 'targets' | 'iperf3' | 'fio' | 'iozone' | 'order'>;

export interface RunnerContext {
  host: Host;
  plan: HostPlan;
  log(message: string): void;
  signal: AbortSignal;
}

const INSTALL_HINT = 'install fio and iperf3 on the host and in every container (Debian/Ubuntu: apt-get install fio iperf3; CentOS/RHEL: yum install fio iperf3)';
const MARKER = '.sriov-lxc-bench-marker';

export function benchTargets(plan: HostPlan): BenchTarget[] {
  return [{ kind: 'host' }, ...plan.containers.map((c): BenchTarget => ({ kind: 'container', name: c.name }))];
}

/** The targets in the order measured at repetition `rep` (1-based): rotated by one per repetition. */
export function repetitionOrder<T>(targets: readonly T[], rep: number): T[] {
  const shift = (rep - 1) % targets.length;
  return [...targets.slice(shift), ...targets.slice(0, shift)];
}

function where(target: BenchTarget, host: Host): string {
  return target.kind === 'host' ? `host ${host.name}` : `container ${target.name} on ${host.name}`;
}

async function execIn(ctx: RunnerContext, target: BenchTarget, argv: string[], timeoutMs: number): Promise<ExecResult> {
  ctx.signal.throwIfAborted();
  return ctx.host.exec(inTarget(target, argv), { timeoutMs });
}

function failed(what: string, argv: string[], result: ExecResult, hint: string): CommandError {
  return new CommandError(`${what} failed (exit ${result.code}): ${tail(result.stderr || result.stdout, 3)}`, {
    command: commandLine(argv), code: result.code, stderrTail: tail(result.stderr), hint,
  });
}

/** Every target can run the tools; a container that cannot be entered is named as such. */
async function preflight(ctx: RunnerContext, targets: BenchTarget[], tools: string[]): Promise<void> {
  const problems: string[] = [];
  for (const target of targets) {
    for (const tool of tools) {
      const result = await execIn(ctx, target, whichArgv(tool), 30_000);
      if (result.code === 0) continue;
      if (target.kind === 'container' && /lxc-attach/.test(result.stderr)) {
        problems.push(`cannot enter container ${target.name}: ${tail(result.stderr, 1)} (is it running? lxc-start -n ${target.name})`);
        break;
      }
      problems.push(`${tool} is not installed on the ${where(target, ctx.host)}`);
    }
  }
  if (problems.length > 0) throw new FatalError(`benchmark cannot start:\n  ${problems.join('\n  ')}`, { hint: INSTALL_HINT });
}

/**
 * The run's private directory inside the benchmark directory, which the containers share and
 * others may write: created 0700 by root under a fresh name (mktemp -d) and checked (a directory,
 * not a link, ours) before anything is written there. The marker and fio's files go in it, so
 * nothing planted in the shared directory is ever written through. The containers' fio writes
 * there as the container's root, which is the node's root (containers without a user namespace,
 * as the paper's are).
 */
async function makeWorkDirectory(ctx: RunnerContext, directory: string): Promise<string> {
  const test = await ctx.host.exec(['test', '-d', directory], { timeoutMs: 30_000 });
  if (test.code !== 0) {
    throw new FatalError(`benchmark directory ${directory} does not exist on ${ctx.host.name}`, {
      hint: `mount the file system of the device under test at ${directory} (or set benchmark.fio.directory in the inventory)`,
    });
  }
  const argv = workDirArgv(directory);
  const made = await ctx.host.exec(argv, { timeoutMs: 30_000 });
  if (made.code === 3) {
    throw new FatalError(`benchmark directory on ${ctx.host.name}: ${tail(made.stderr, 1)}, so anyone could swap what sriov-lxc makes there for a link`, {
      command: commandLine(argv), code: made.code,
      hint: `chmod o-w ${directory}, or chmod +t ${directory} (sticky, like /tmp)`,
    });
  }
  if (made.code !== 0) throw failed(`making a private directory in ${directory}`, argv, made, `check that ${directory} is writable by root on ${ctx.host.name}`);
  const checked = checkWorkDir(made.stdout, directory);
  if (!checked.ok) {
    throw new FatalError(`the private benchmark directory on ${ctx.host.name} is not safe to write: ${checked.problem}`, {
      command: commandLine(argv),
      hint: `another user may be tampering with ${directory}: look at it, and use a directory only root can write`,
    });
  }
  return checked.path;
}

/**
 * Each container sees the same files as the host in the run's directory (the bind mount of the
 * benchmark directory): a marker written on the host is read back inside every container.
 */
async function checkSharedDirectory(ctx: RunnerContext, targets: BenchTarget[], directory: string, workDir: string): Promise<void> {
  const marker = posix.join(workDir, MARKER);
  const token = randomUUID();
  await ctx.host.writeFile(marker, `${token}\n`, { mode: 0o600 });
  try {
    for (const target of targets) {
      if (target.kind !== 'container') continue;
      const read = await execIn(ctx, target, ['cat', marker], 30_000);
      if (read.code !== 0 || read.stdout.trim() !== token) {
        throw new FatalError(`container ${target.name} does not see the host's ${directory}: the host and the container would measure different file systems`, {
          hint: `bind-mount it into the container: lxc.mount.entry = ${directory} ${directory.slice(1)} none bind,create=dir 0 0` +
            ` (the benchmark works in a directory there that only root can enter: a container with a user namespace, whose root is not the node's, cannot)`,
        });
      }
    }
  } finally {
    await ctx.host.exec(['rm', '-f', '--', marker], { timeoutMs: 30_000 });
  }
}

/** O_DIRECT when the file system supports it (most do; some FUSE and older tmpfs do not). */
async function probeDirect(ctx: RunnerContext, workDir: string, directory: string): Promise<{ direct: boolean; directNote?: string }> {
  const argv = directProbeArgv(workDir);
  const result = await ctx.host.exec(argv, { timeoutMs: 60_000 });
  let reason: string | undefined;
  if (result.code !== 0) reason = tail(result.stderr || result.stdout, 1);
  else {
    try {
      parseFio(result.stdout);
    } catch (error) {
      reason = (error as Error).message;
    }
  }
  if (reason === undefined) return { direct: true };
  ctx.log(`O_DIRECT is not supported in ${directory}: fio runs with buffered I/O (${reason})`);
  return { direct: false, directNote: `O_DIRECT not supported in ${directory} (${reason}): buffered I/O, the page cache is part of the measurement` };
}

async function iperf3Once(ctx: RunnerContext, target: BenchTarget, peer: string, profile: BenchProfile, direction: Iperf3Direction): Promise<Iperf3Sample> {
  const argv = iperf3Argv(peer, profile.iperf3, direction);
  const timeoutMs = (profile.iperf3.omit + profile.iperf3.time + 30) * 1000;
  return pRetry(
    async () => {
      const result = await inPeerTurn(peer, () => execIn(ctx, target, argv, timeoutMs));
      // iperf3 -J reports failures in the JSON (and exits 0 for some of them).
      const outcome = result.stdout.trim() === '' ? { ok: false as const, error: tail(result.stderr, 1) || `exit ${result.code}` } : parseIperf3(result.stdout);
      if (outcome.ok) return outcome.sample;
      if (isServerBusy(outcome.error)) throw new Error(outcome.error);
      throw new AbortError(new FatalError(`iperf3 from the ${where(target, ctx.host)} to ${peer} failed: ${outcome.error}`, {
        command: commandLine(inTarget(target, argv)),
        hint: `start an iperf3 server on the peer (iperf3 -s) and check that ${peer} is reachable from the host and from the containers' VFs`,
      }));
    },
    // The server runs one test at a time: another client's test ends within its duration.
    { retries: 6, minTimeout: 1000, maxTimeout: 5000, signal: ctx.signal },
  );
}

async function runIperf3(ctx: RunnerContext, targets: BenchTarget[], profile: BenchProfile): Promise<Iperf3Results> {
  const peer = ctx.plan.benchmark.peer;
  if (peer === undefined) return { status: 'skipped', reason: 'no benchmark.peer (iperf3 server) in the inventory' };
  const runs = targets.flatMap((target) => (['forward', 'reverse'] as const).map((direction) => ({
    target, direction, samples: [] as Iperf3Sample[],
  })));
  for (let rep = 1; rep <= profile.repetitions; rep++) {
    for (const run of repetitionOrder(targets, rep).flatMap((target) => runs.filter((r) => r.target === target))) {
      const sample = await iperf3Once(ctx, run.target, peer, profile, run.direction);
      run.samples.push(sample);
      ctx.log(`iperf3 ${run.direction} ${targetLabelOf(run.target)} ${rep}/${profile.repetitions}: ${(sample.receivedBps / 1e9).toFixed(2)} Gbit/s`);
    }
  }
  return {
    status: 'ran', peer, omit: profile.iperf3.omit, time: profile.iperf3.time,
    runs: runs.map((r) => ({ target: targetLabelOf(r.target), direction: r.direction, samples: r.samples })),
  };
}

function fioTimeoutMs(profile: BenchProfile): number {
  // Laying out the test file (at 20 MB/s at worst) plus the run, plus a margin for 512 threads to start.
  return profile.fio.runtimeMs + profile.fio.rampMs + Math.ceil(profile.fio.sizeBytes / 20e6) * 1000 + 120_000;
}

async function runFioTests(ctx: RunnerContext, targets: BenchTarget[], profile: BenchProfile, directory: string, direct: boolean): Promise<FioTestResult[]> {
  const results: FioTestResult[] = [];
  for (const test of profile.fioTests) {
    const points: FioPoint[] = [];
    for (const value of test.values) {
      const argv = fioArgv(test, value, profile.fio, { directory, direct });
      const byTarget = targets.map((target) => ({ target, samples: [] as FioSample[] }));
      for (let rep = 1; rep <= profile.repetitions; rep++) {
        for (const entry of repetitionOrder(byTarget, rep)) {
          const result = await execIn(ctx, entry.target, argv, fioTimeoutMs(profile));
          if (result.code !== 0) {
            throw failed(`fio ${test.id} ${test.vary}=${value} on the ${where(entry.target, ctx.host)}`, inTarget(entry.target, argv), result,
              `run the command by hand on the ${where(entry.target, ctx.host)} to see fio's complaint`);
          }
          const sample = parseFio(result.stdout);
          entry.samples.push(sample);
          const iops = Math.round(measuredSide(test.rw, sample).iops);
          ctx.log(`fio ${test.id} ${test.vary}=${value} ${targetLabelOf(entry.target)} ${rep}/${profile.repetitions}: ${iops} IOPS`);
        }
      }
      points.push(...byTarget.map((e) => ({ value, target: targetLabelOf(e.target), samples: e.samples })));
    }
    const { id, title, vary, rw, bs, iodepth, numjobs, values } = test;
    results.push({ id, title, vary, rw, bs, iodepth, numjobs, values, points });
  }
  return results;
}

async function iozoneStatus(ctx: RunnerContext): Promise<Measurements['iozone']> {
  const found = await ctx.host.exec(whichArgv('iozone'), { timeoutMs: 30_000 });
  if (found.code !== 0) return { status: 'skipped', reason: 'iozone is not installed on the host (Debian: package iozone3, in non-free)' };
  return {
    status: 'skipped',
    reason: `iozone found at ${found.stdout.trim()} but not run: sriov-lxc cannot parse iozone's report yet (no captured iozone output to build the parser on)`,
  };
}

export async function measure(ctx: RunnerContext, profile: BenchProfile): Promise<Measurements> {
  const targets = benchTargets(ctx.plan);
  const { directory } = ctx.plan.benchmark.fio;
  const tools = ctx.plan.benchmark.peer === undefined ? ['fio'] : ['fio', 'iperf3'];
  await preflight(ctx, targets, tools);
  const workDir = await makeWorkDirectory(ctx, directory);
  try {
    await checkSharedDirectory(ctx, targets, directory, workDir);
    const iozone = await iozoneStatus(ctx);
    const iperf3 = await runIperf3(ctx, targets, profile);
    const { direct, directNote } = await probeDirect(ctx, workDir, directory);
    const tests = await runFioTests(ctx, targets, profile, workDir, direct);
    const labels = targets.map(targetLabelOf);
    return {
      targets: labels,
      order: Array.from({ length: profile.repetitions }, (_, i) => repetitionOrder(labels, i + 1)),
      iperf3,
      fio: {
        directory, direct, ...(directNote === undefined ? {} : { directNote }),
        runtimeMs: profile.fio.runtimeMs, rampMs: profile.fio.rampMs, sizeBytes: profile.fio.sizeBytes, tests,
      },
      iozone,
    };
  } finally {
    // Best effort: a failure here must not hide the error that got us here.
    await ctx.host.exec(cleanupArgv(workDir), { timeoutMs: 60_000 }).catch((error: unknown) => {
      ctx.log(`could not remove the benchmark's directory ${workDir}: ${(error as Error).message}`);
    });
  }
}
