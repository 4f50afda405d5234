// Runs the measurements of one benchmark on a host and in its containers, through Host.exec only
// (the runner does not know whether the host is local or remote). A point is measured in rounds:
// every target once per round, so a drift over time (thermal, background load) hits the host and
// the containers of a round alike and the ratio is taken within the round (stats/paired.ts); the
// order of the targets within a round is drawn at random (roundOrders), so that going first or
// last (a warm cache, a file just laid out) or meeting a periodic disturbance is not always the
// same target's lot.
// Each point gets the profile's rounds, then more while its intervals are wider than the precision
// and the profile's time budget lasts (adaptive.ts).
import { randomInt, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import type { ExecResult, Host } from '../../hosts/host.ts';
import { commandLine } from '../../hosts/quote.ts';
import { CommandError, FatalError, tail } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { fioValues, measuredSide } from '../stats/analysis.ts';
import { widestHalfWidth } from '../stats/paired.ts';
import { CONFIDENCE, compareSamples, familyConfidence } from '../stats/verdict.ts';
import { measureAdaptively, type AdaptivePoint } from './adaptive.ts';
import { cleanupArgv, directProbeArgv, fioArgv, inTarget, iperf3Argv, whichArgv, workDirArgv } from './commands.ts';
import { checkWorkDir } from './work-dir.ts';
import type { Iperf3Direction } from './commands.ts';
import { parseFio } from './parse-fio.ts';
import { mergeMirroredRuns } from './fio-runs.ts';
import { inPeerTurn } from './peer-turns.ts';
import { isServerBusy, parseIperf3 } from './parse-iperf3.ts';
import { plannedComparisons, type BenchProfile } from './profiles.ts';
import { targetLabelOf } from '../results/results.ts';
import type { BenchTarget, BenchmarkDocument, FioTestResult, Iperf3Sample, Metric } from '../results/results.ts';

export type Measurements = Pick<BenchmarkDocument, 'targets' | 'iperf3' | 'fio' | 'iozone' | 'order' | 'adaptive'>;

/** No point is measured more often than this (the inventory's repetitions go up to it too). */
const MAX_ROUNDS = 50;

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

/**
 * The order of the targets in round `round` (1-based) of every point: a permutation drawn at random
 * (Fisher-Yates) the first time the round is asked for, the same for every point's round of that
 * number, and recorded in the document. Random rather than rotated: rotating two targets measures
 * A B, B A, A B, … — a sequence of period four measurements — and a disturbance near that period
 * falls on the same target in every round. The lab's A/A check met one (likely the kernel's
 * dirty-page writeback every 5 s, vm.dirty_writeback_centisecs=500, about four 1.25 s fio points
 * of the standard profile): it flagged the node against itself (seqwrite 32 KiB, 29.6 %). Drawn
 * at random, such a disturbance is noise, which the interval counts, not a bias it cannot see.
 */
export function roundOrders<T>(targets: readonly T[], draw: (below: number) => number = randomInt): (round: number) => T[] {
  const orders: T[][] = [];
  return (round) => {
    while (orders.length < round) {
      const order = [...targets];
      for (let i = order.length - 1; i > 0; i--) {
        const j = draw(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      orders.push(order);
    }
    return orders[round - 1]!;
  };
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

interface PointOf<S> {
  adaptive: AdaptivePoint;
  samples: Map<BenchTarget, S[]>;
}

/** What decides how many rounds a point gets: the minimum rounds (the spread's) and the confidence of each interval (the run's family: analysis.ts). */
interface Rounds {
  minRounds: number;
  confidence: number;
  /** The targets in round r's order (roundOrders). */
  orderOf(round: number): BenchTarget[];
}

/**
 * A point measured on every target per round (in the round's order; with `mirror`, in that order
 * and then back, each target's two measurements merged into its sample of the round); its widest
 * interval over the containers and metrics.
 */
function point<S>(
  ctx: RunnerContext, id: string, targets: BenchTarget[], rounds: Rounds,
  once: (target: BenchTarget, round: number) => Promise<S>, metrics: (samples: readonly S[]) => Partial<Record<Metric, number[]>>,
  mirror?: (there: S, back: S) => S,
): PointOf<S> {
  const samples = new Map(targets.map((t) => [t, [] as S[]]));
  const host = targets.find((t) => t.kind === 'host')!;
  return {
    samples,
    adaptive: {
      id,
      minRounds: rounds.minRounds,
      async round(round) {
        const order = rounds.orderOf(round);
        if (mirror === undefined) {
          for (const target of order) samples.get(target)!.push(await once(target, round));
          return;
        }
        const there = new Map<BenchTarget, S>();
        for (const target of order) there.set(target, await once(target, round));
        for (const target of [...order].reverse()) samples.get(target)!.push(mirror(there.get(target)!, await once(target, round)));
      },
      halfWidth() {
        const base = metrics(samples.get(host)!);
        return widestHalfWidth(targets.filter((t) => t !== host).flatMap((t) => {
          const other = metrics(samples.get(t)!);
          return (Object.keys(base) as Metric[]).map((m) => compareSamples(m, base[m]!, other[m]!, ctx.plan.benchmark.penaltyThreshold, rounds.confidence, rounds.minRounds));
        }));
      },
    },
  };
}

function iperf3Points(ctx: RunnerContext, targets: BenchTarget[], profile: BenchProfile, rounds: Rounds, peer: string): { direction: Iperf3Direction; point: PointOf<Iperf3Sample> }[] {
  return (['forward', 'reverse'] as const).map((direction) => ({
    direction,
    point: point(ctx, `iperf3 ${direction}`, targets, rounds, async (target, round) => {
      const sample = await iperf3Once(ctx, target, peer, profile, direction);
      ctx.log(`iperf3 ${direction} ${targetLabelOf(target)} round ${round}: ${(sample.receivedBps / 1e9).toFixed(2)} Gbit/s`);
      return sample;
    }, (xs) => ({ throughput: xs.map((x) => x.receivedBps) })),
  }));
}

function fioTimeoutMs(profile: BenchProfile): number {
  // Laying out the test file (at 20 MB/s at worst) plus the run, plus a margin for 512 threads to start.
  return profile.fio.runtimeMs + profile.fio.rampMs + Math.ceil(profile.fio.sizeBytes / 20e6) * 1000 + 120_000;
}

function fioPoints(ctx: RunnerContext, targets: BenchTarget[], profile: BenchProfile, rounds: Rounds, directory: string, direct: boolean) {
  return profile.fioTests.map((test) => ({
    test,
    points: test.values.map((value) => {
      const argv = fioArgv(test, value, profile.fio, { directory, direct });
      return {
        value,
        point: point(ctx, `fio ${test.id} ${test.vary}=${value}`, targets, rounds, async (target, round) => {
          const result = await execIn(ctx, target, argv, fioTimeoutMs(profile));
          if (result.code !== 0) {
            throw failed(`fio ${test.id} ${test.vary}=${value} on the ${where(target, ctx.host)}`, inTarget(target, argv), result,
              `run the command by hand on the ${where(target, ctx.host)} to see fio's complaint`);
          }
          const sample = parseFio(result.stdout);
          ctx.log(`fio ${test.id} ${test.vary}=${value} ${targetLabelOf(target)} round ${round}: ${Math.round(measuredSide(test.rw, sample).iops)} IOPS`);
          return sample;
        }, (xs) => fioValues(test.rw, xs), profile.fio.mirrored ? mergeMirroredRuns : undefined),
      };
    }),
  }));
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
  const { peer } = ctx.plan.benchmark;
  const precision = ctx.plan.benchmark.precision ?? profile.precision;
  const budgetSeconds = ctx.plan.benchmark.budget ?? profile.budgetSeconds;
  const tools = peer === undefined ? ['fio'] : ['fio', 'iperf3'];
  await preflight(ctx, targets, tools);
  const workDir = await makeWorkDirectory(ctx, directory);
  try {
    await checkSharedDirectory(ctx, targets, directory, workDir);
    const iozone = await iozoneStatus(ctx);
    const { direct, directNote } = await probeDirect(ctx, workDir, directory);
    const comparisons = plannedComparisons(profile, targets.length - 1, peer !== undefined);
    const rounds: Rounds = { minRounds: profile.repetitions, confidence: familyConfidence(CONFIDENCE, comparisons), orderOf: roundOrders(targets) };
    const iperf3 = peer === undefined ? [] : iperf3Points(ctx, targets, profile, rounds, peer);
    const fio = fioPoints(ctx, targets, profile, { ...rounds, minRounds: profile.fioRepetitions }, workDir, direct);
    const outcome = await measureAdaptively([...iperf3.map((i) => i.point.adaptive), ...fio.flatMap((f) => f.points.map((p) => p.point.adaptive))], {
      precision, minRounds: profile.repetitions, maxRounds: MAX_ROUNDS, budgetMs: budgetSeconds * 1000, now: Date.now, signal: ctx.signal,
    });
    if (outcome.budgetExhausted) {
      ctx.log(`the time budget (${budgetSeconds} s) ran out before ${outcome.imprecise.length} point(s) reached ±${precision} points: ${outcome.imprecise.slice(0, 3).join(', ')}${outcome.imprecise.length > 3 ? ', …' : ''}`);
    }
    const mostRounds = Math.max(...Object.values(outcome.rounds));
    return {
      targets: targets.map(targetLabelOf),
      order: Array.from({ length: mostRounds }, (_, i) => rounds.orderOf(i + 1).map(targetLabelOf)),
      adaptive: {
        precision, budgetSeconds, spentSeconds: Math.round(outcome.spentMs / 100) / 10,
        budgetExhausted: outcome.budgetExhausted, imprecise: outcome.imprecise,
      },
      iperf3: peer === undefined
        ? { status: 'skipped', reason: 'no benchmark.peer (iperf3 server) in the inventory' }
        : {
          status: 'ran', peer, omit: profile.iperf3.omit, time: profile.iperf3.time,
          runs: targets.flatMap((target) => iperf3.map((i) => ({ target: targetLabelOf(target), direction: i.direction, samples: i.point.samples.get(target)! }))),
        },
      fio: {
        directory, direct, ...(directNote === undefined ? {} : { directNote }), repetitions: profile.fioRepetitions,
        runtimeMs: profile.fio.runtimeMs, rampMs: profile.fio.rampMs, sizeBytes: profile.fio.sizeBytes, mirrored: profile.fio.mirrored,
        tests: fio.map(({ test, points }): FioTestResult => {
          const { id, title, vary, rw, bs, iodepth, numjobs, values } = test;
          return { id, title, vary, rw, bs, iodepth, numjobs, values, points: points.flatMap((p) => targets.map((target) => ({ value: p.value, target: targetLabelOf(target), samples: p.point.samples.get(target)! }))) };
        }),
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
