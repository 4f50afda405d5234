// From raw samples to what the paper tabulates: per point, the median and spread of each metric on
// the host and in each container, and the container's penalty with its interval and verdict
// (verdict.ts). Used by the stage (to store the penalties), the exit summary and every report format.
import { HOST_LABEL } from '../results/results.ts';
import type { BenchmarkDocument, FioDirectionSample, FioSample, FioTestResult, Iperf3Results, Penalty } from '../results/results.ts';
import { summarize } from './stats.ts';
import type { Summary } from './stats.ts';
import { comparisonOfRatio, welchLogRatio, type Comparison as VerdictComparison } from './verdict.ts';
import type { Metric } from '../results/results.ts';

/**
 * The verdict of a point: Welch's interval on the log-ratio of the host's and the container's
 * rounds. The rounds are measured paired and as many as the precision asks (run/adaptive.ts
 * decides that on the paired interval, which cancels what a round shares); the verdict does not
 * take the paired interval: on a loaded machine, noise that moves within a round made it flag the
 * host measured against itself (1 of 250 A/A comparisons) and a gate on the paper's node. Welch's
 * interval also carries the round-to-round spread, which keeps the A/A check at none.
 */
function verdictOfRounds(metric: Metric, host: readonly number[], lxc: readonly number[], thresholdPct: number, confidence: number): VerdictComparison {
  return comparisonOfRatio(metric, welchLogRatio(host, lxc, confidence), thresholdPct);
}
import { halfWidth } from './paired.ts';
import type { Comparison } from './verdict.ts';

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

function penaltyRecord(base: Pick<Penalty, 'test' | 'point' | 'container' | 'metric' | 'host' | 'lxc' | 'rounds'>, c: Comparison): Penalty {
  const half = halfWidth(c);
  return { ...base, penaltyPct: c.pct, ci: c.ci, halfWidth: Number.isFinite(half) ? half : null, verdict: c.verdict, flagged: c.verdict === 'penalty' };
}

export function fioComparisons(doc: AnalysisInput): FioComparison[] {
  const comparisons: FioComparison[] = [];
  for (const test of doc.fio.tests) {
    const series = fioSeries(test, doc.targets);
    const host = series.find((s) => s.target === HOST_LABEL);
    for (const container of containersOf(doc.targets)) {
      const lxc = series.find((s) => s.target === container);
      const rows: FioRow[] = [];
      for (const value of test.values) {
        const h = host?.points.find((p) => p.value === value);
        const l = lxc?.points.find((p) => p.value === value);
        if (!h || !l) continue;
        const compare = (metric: FioMetric): Comparison => verdictOfRounds(metric, h.values[metric], l.values[metric], doc.penaltyThreshold, doc.confidence);
        rows.push({ value, host: h.summary, lxc: l.summary, penalty: { iops: compare('iops'), bw: compare('bw'), latency: compare('latency') } });
      }
      comparisons.push({ test, container, rows });
    }
  }
  return comparisons;
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
  if (doc.iperf3.status !== 'ran') return [];
  const iperf3 = doc.iperf3;
  return containersOf(doc.targets).map((container) => ({
    container,
    rows: (['forward', 'reverse'] as const).flatMap((direction) => {
      const host = iperf3Values(iperf3, HOST_LABEL, direction);
      const lxc = iperf3Values(iperf3, container, direction);
      if (!host || !lxc) return [];
      const penalty = verdictOfRounds('throughput', host, lxc, doc.penaltyThreshold, doc.confidence);
      return [{ direction, host: summarize(host), lxc: summarize(lxc), penalty }];
    }),
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
