// From raw samples to what the paper tabulates: per point, the median and spread of each metric on
// the host and in each container, and the container's penalty with its interval and verdict
// (verdict.ts). Used by the stage (to store the penalties), the exit summary and every report format.
import { fioRepetitions, HOST_LABEL } from '../results/results.ts';
import type { BenchmarkDocument, FioDirectionSample, FioSample, FioTestResult, Iperf3Results, Penalty } from '../results/results.ts';
import { summarize } from './stats.ts';
import type { Summary } from './stats.ts';
import { compareSamples, familyConfidence } from './verdict.ts';
import type { Comparison } from './verdict.ts';
import type { Metric } from '../results/results.ts';
import { halfWidth } from './paired.ts';
import { fioPointParams } from '../run/profiles.ts';

export type FioMetric = 'iops' | 'bw' | 'latency';
export const FIO_METRICS: readonly FioMetric[] = ['iops', 'bw', 'latency'];

/** iops and bw (bytes/s) and latency (ns) of one point, over its repetitions. */
export type FioPointSummary = Record<FioMetric, Summary>;
/** The repetitions of one point, per metric, in the order measured. */
export type FioPointValues = Record<FioMetric, number[]>;

export interface FioSeries {
  target: string;
  points: { value: number; values: FioPointValues; summary: FioPointSummary }[];
}

export interface FioRow {
  value: number;
  host: FioPointSummary;
  lxc: FioPointSummary;
  penalty: Record<FioMetric, Comparison>;
}

export interface FioComparison {
  test: FioTestResult;
  container: string;
  rows: FioRow[];
}

export interface Iperf3Row {
  direction: 'forward' | 'reverse';
  /** bits/s received. */
  host: Summary;
  lxc: Summary;
  penalty: Comparison;
}

export interface Iperf3Comparison {
  container: string;
  rows: Iperf3Row[];
}

/** What a test measures: the read side, the write side, or both added up (mixed access). */
export function measuredSide(rw: FioTestResult['rw'], sample: FioSample): FioDirectionSample {
  if (rw === 'randread') return sample.read;
  if (rw === 'write' || rw === 'randwrite') return sample.write;
  const ios = sample.read.ios + sample.write.ios;
  return {
    iops: sample.read.iops + sample.write.iops,
    bwBytes: sample.read.bwBytes + sample.write.bwBytes,
    latMeanNs: ios > 0 ? (sample.read.latMeanNs * sample.read.ios + sample.write.latMeanNs * sample.write.ios) / ios : 0,
    ios,
  };
}

export function fioValues(rw: FioTestResult['rw'], samples: readonly FioSample[]): FioPointValues {
  const sides = samples.map((s) => measuredSide(rw, s));
  return { iops: sides.map((s) => s.iops), bw: sides.map((s) => s.bwBytes), latency: sides.map((s) => s.latMeanNs) };
}

export function summarizeFioSamples(rw: FioTestResult['rw'], samples: readonly FioSample[]): FioPointSummary {
  const values = fioValues(rw, samples);
  return { iops: summarize(values.iops), bw: summarize(values.bw), latency: summarize(values.latency) };
}

/** Per target (in `targets` order), the points it has, in the test's value order. */
export function fioSeries(test: FioTestResult, targets: readonly string[]): FioSeries[] {
  return targets.map((target) => ({
    target,
    points: test.values.flatMap((value) => {
      const point = test.points.find((p) => p.value === value && p.target === target);
      return point ? [{ value, values: fioValues(test.rw, point.samples), summary: summarizeFioSamples(test.rw, point.samples) }] : [];
    }),
  }));
}

function containersOf(targets: readonly string[]): string[] {
  return targets.filter((t) => t !== HOST_LABEL);
}

type AnalysisInput = Pick<BenchmarkDocument, 'targets' | 'fio' | 'iperf3' | 'penaltyThreshold' | 'confidence' | 'repetitions'>;

/**
 * The verdict of a point: the paired interval (Stein's two-stage, its spread from the minimum
 * rounds: paired.ts) at the confidence that makes all `comparisons` intervals of the
 * run hold at once (verdict.ts familyConfidence). Each interval on its own at 95 %, the chance
 * that a run flags some point by chance grows with its comparisons: the lab's host measured
 * against itself was flagged (1 of 250 A/A comparisons), and simulated runs of 50 points at the
 * threshold flagged one in 289 of 400 runs (test/unit/benchmark/family.test.ts).
 */
function verdictOfRounds(metric: Metric, host: readonly number[], lxc: readonly number[], doc: AnalysisInput, comparisons: number): Comparison {
  // Throughput is iperf3's metric; IOPS, bandwidth and latency are fio's, whose first stage may be longer.
  const firstRounds = metric === 'throughput' ? doc.repetitions : fioRepetitions(doc);
  return compareSamples(metric, host, lxc, doc.penaltyThreshold, familyConfidence(doc.confidence, comparisons), firstRounds);
}

function penaltyRecord(base: Pick<Penalty, 'test' | 'point' | 'container' | 'metric' | 'host' | 'lxc' | 'rounds'>, c: Comparison): Penalty {
  const half = halfWidth(c);
  return { ...base, penaltyPct: c.pct, ci: c.ci, halfWidth: Number.isFinite(half) ? half : null, verdict: c.verdict, flagged: c.verdict === 'penalty' };
}

/**
 * Whether every round's bandwidth is its IOPS times the block size `bs`, as fio computes both
 * from the same I/Os and runtime (stat.c: bw_bytes = 1000·io_bytes/runtime, rounded down to a
 * whole byte/s, and iops = 1000·total_ios/runtime, printed to 6 decimals; io_bytes = total_ios·bs
 * without short I/Os). Then the per-round bandwidth ratio is the IOPS ratio, and the two
 * comparisons are one: one interval, counted once in the run's family. Tolerance: the rounding of
 * each side (2 for the read and write halves of a mixed test) and of iops's decimals. A short I/O,
 * another fio that rounds otherwise (2.x prints whole IOPS and KiB/s) or several jobs' sums fall
 * outside it: the bandwidth is then a comparison of its own. So does a warm-up (--ramp_time): fio
 * zeroes its counters at the ramp's end with I/Os in flight (test/fixtures/bench/README.md).
 */
export function bandwidthIsIops(values: Pick<FioPointValues, 'iops' | 'bw'>, bs: number): boolean {
  return values.iops.length === values.bw.length && values.iops.every((iops, i) => Math.abs(values.bw[i]! - iops * bs) <= 2 + 2e-6 * bs);
}

/** Each container's fio points that both it and the host have, per test; `oneRatio`: their bandwidth is their IOPS (bandwidthIsIops). */
function fioPairs(doc: AnalysisInput) {
  return doc.fio.tests.flatMap((test) => {
    const series = fioSeries(test, doc.targets);
    const host = series.find((s) => s.target === HOST_LABEL);
    return containersOf(doc.targets).map((container) => {
      const lxc = series.find((s) => s.target === container);
      const points = test.values.flatMap((value) => {
        const h = host?.points.find((p) => p.value === value);
        const l = lxc?.points.find((p) => p.value === value);
        if (!h || !l) return [];
        const { bs } = fioPointParams(test, value);
        return [{ value, h, l, oneRatio: bandwidthIsIops(h.values, bs) && bandwidthIsIops(l.values, bs) }];
      });
      return { test, container, points };
    });
  });
}

/** Each container's iperf3 directions that both it and the host have. */
function iperf3Pairs(doc: AnalysisInput) {
  if (doc.iperf3.status !== 'ran') return [];
  const iperf3 = doc.iperf3;
  return containersOf(doc.targets).map((container) => ({
    container,
    directions: (['forward', 'reverse'] as const).flatMap((direction) => {
      const host = iperf3Values(iperf3, HOST_LABEL, direction);
      const lxc = iperf3Values(iperf3, container, direction);
      return host && lxc ? [{ direction, host, lxc }] : [];
    }),
  }));
}

/**
 * How many comparisons the run makes (each container, point and metric): the family its verdicts
 * answer for together. A fio point's bandwidth counts only when it is not its IOPS (bandwidthIsIops):
 * the same per-round ratios make the same interval, which covers or misses as one.
 */
export function comparisonCount(doc: AnalysisInput): number {
  return iperf3Pairs(doc).reduce((n, c) => n + c.directions.length, 0) +
    fioPairs(doc).reduce((n, c) => n + c.points.reduce((m, p) => m + (p.oneRatio ? FIO_METRICS.length - 1 : FIO_METRICS.length), 0), 0);
}

export function fioComparisons(doc: AnalysisInput): FioComparison[] {
  const family = comparisonCount(doc);
  return fioPairs(doc).map(({ test, container, points }) => ({
    test,
    container,
    rows: points.map(({ value, h, l, oneRatio }) => {
      const compare = (metric: FioMetric): Comparison => verdictOfRounds(metric, h.values[metric], l.values[metric], doc, family);
      const iops = compare('iops');
      return { value, host: h.summary, lxc: l.summary, penalty: { iops, bw: oneRatio ? iops : compare('bw'), latency: compare('latency') } };
    }),
  }));
}

/** bits/s received per target and direction, per repetition. */
export function iperf3Values(iperf3: Iperf3Results, target: string, direction: 'forward' | 'reverse'): number[] | undefined {
  if (iperf3.status !== 'ran') return undefined;
  return iperf3.runs.find((r) => r.target === target && r.direction === direction)?.samples.map((s) => s.receivedBps);
}

export function iperf3Summary(iperf3: Iperf3Results, target: string, direction: 'forward' | 'reverse'): Summary | undefined {
  const values = iperf3Values(iperf3, target, direction);
  return values ? summarize(values) : undefined;
}

export function iperf3Comparisons(doc: AnalysisInput): Iperf3Comparison[] {
  const family = comparisonCount(doc);
  return iperf3Pairs(doc).map(({ container, directions }) => ({
    container,
    rows: directions.map(({ direction, host, lxc }) => ({
      direction, host: summarize(host), lxc: summarize(lxc), penalty: verdictOfRounds('throughput', host, lxc, doc, family),
    })),
  }));
}

/** Every penalty of the run as flat records (stored in the document; CSV and the summary use them). */
export function computePenalties(doc: AnalysisInput): Penalty[] {
  const penalties: Penalty[] = [];
  for (const { container, rows } of iperf3Comparisons(doc)) {
    for (const row of rows) {
      penalties.push(penaltyRecord({ test: 'iperf3', point: row.direction, container, metric: 'throughput', host: row.host.median, lxc: row.lxc.median, rounds: Math.min(row.host.n, row.lxc.n) }, row.penalty));
    }
  }
  for (const { test, container, rows } of fioComparisons(doc)) {
    for (const row of rows) {
      for (const metric of FIO_METRICS) {
        penalties.push(penaltyRecord({
          test: test.id, point: String(row.value), container, metric, host: row.host[metric].median, lxc: row.lxc[metric].median,
          rounds: Math.min(row.host[metric].n, row.lxc[metric].n),
        }, row.penalty[metric]));
      }
    }
  }
  return penalties;
}
