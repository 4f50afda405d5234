// From raw samples to what the paper tabulates: per point, the median and spread of each metric on
// the host and in each container, and the container's penalty. Used by the stage (to store the
// penalties), the exit summary and every report format.
import { isFlagged, penaltyPercent } from './penalty.ts';
import { HOST_LABEL } from './results.ts';
import type { BenchmarkDocument, FioDirectionSample, FioSample, FioTestResult, Iperf3Results, Penalty } from './results.ts';
import { summarize } from './stats.ts';
import type { Summary } from './stats.ts';

export type FioMetric = 'iops' | 'bw' | 'latency';
export const FIO_METRICS: readonly FioMetric[] = ['iops', 'bw', 'latency'];

/** iops and bw (bytes/s) and latency (ns) of one point, over its repetitions. */
export type FioPointSummary = Record<FioMetric, Summary>;

export interface FioSeries {
  target: string;
  points: { value: number; summary: FioPointSummary }[];
}

export interface FioRow {
  value: number;
  host: FioPointSummary;
  lxc: FioPointSummary;
  penalty: Record<FioMetric, number | null>;
  flagged: Record<FioMetric, boolean>;
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
  penalty: number | null;
  flagged: boolean;
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

export function summarizeFioSamples(rw: FioTestResult['rw'], samples: readonly FioSample[]): FioPointSummary {
  const sides = samples.map((s) => measuredSide(rw, s));
  return {
    iops: summarize(sides.map((s) => s.iops)),
    bw: summarize(sides.map((s) => s.bwBytes)),
    latency: summarize(sides.map((s) => s.latMeanNs)),
  };
}

/** Per target (in `targets` order), the points it has, in the test's value order. */
export function fioSeries(test: FioTestResult, targets: readonly string[]): FioSeries[] {
  return targets.map((target) => ({
    target,
    points: test.values.flatMap((value) => {
      const point = test.points.find((p) => p.value === value && p.target === target);
      return point ? [{ value, summary: summarizeFioSamples(test.rw, point.samples) }] : [];
    }),
  }));
}

function containersOf(targets: readonly string[]): string[] {
  return targets.filter((t) => t !== HOST_LABEL);
}

type AnalysisInput = Pick<BenchmarkDocument, 'targets' | 'fio' | 'iperf3' | 'penaltyThreshold'>;

export function fioComparisons(doc: AnalysisInput): FioComparison[] {
  const comparisons: FioComparison[] = [];
  for (const test of doc.fio.tests) {
    const series = fioSeries(test, doc.targets);
    const host = series.find((s) => s.target === HOST_LABEL);
    for (const container of containersOf(doc.targets)) {
      const lxc = series.find((s) => s.target === container);
      const rows: FioRow[] = [];
      for (const value of test.values) {
        const h = host?.points.find((p) => p.value === value)?.summary;
        const l = lxc?.points.find((p) => p.value === value)?.summary;
        if (!h || !l) continue;
        const penalty = {
          iops: penaltyPercent('iops', h.iops.median, l.iops.median),
          bw: penaltyPercent('bw', h.bw.median, l.bw.median),
          latency: penaltyPercent('latency', h.latency.median, l.latency.median),
        };
        const flagged = {
          iops: isFlagged(penalty.iops, doc.penaltyThreshold),
          bw: isFlagged(penalty.bw, doc.penaltyThreshold),
          latency: isFlagged(penalty.latency, doc.penaltyThreshold),
        };
        rows.push({ value, host: h, lxc: l, penalty, flagged });
      }
      comparisons.push({ test, container, rows });
    }
  }
  return comparisons;
}

/** bits/s received per target and direction. */
export function iperf3Summary(iperf3: Iperf3Results, target: string, direction: 'forward' | 'reverse'): Summary | undefined {
  if (iperf3.status !== 'ran') return undefined;
  const run = iperf3.runs.find((r) => r.target === target && r.direction === direction);
  return run ? summarize(run.samples.map((s) => s.receivedBps)) : undefined;
}

export function iperf3Comparisons(doc: AnalysisInput): Iperf3Comparison[] {
  if (doc.iperf3.status !== 'ran') return [];
  const iperf3 = doc.iperf3;
  return containersOf(doc.targets).map((container) => ({
    container,
    rows: (['forward', 'reverse'] as const).flatMap((direction) => {
      const host = iperf3Summary(iperf3, HOST_LABEL, direction);
      const lxc = iperf3Summary(iperf3, container, direction);
      if (!host || !lxc) return [];
      const penalty = penaltyPercent('throughput', host.median, lxc.median);
      return [{ direction, host, lxc, penalty, flagged: isFlagged(penalty, doc.penaltyThreshold) }];
    }),
  }));
}

/** Every penalty of the run as flat records (stored in the document; CSV and the summary use them). */
export function computePenalties(doc: AnalysisInput): Penalty[] {
  const penalties: Penalty[] = [];
  for (const { container, rows } of iperf3Comparisons(doc)) {
    for (const row of rows) {
      penalties.push({
        test: 'iperf3', point: row.direction, container, metric: 'throughput',
        host: row.host.median, lxc: row.lxc.median, penaltyPct: row.penalty, flagged: row.flagged,
      });
    }
  }
  for (const { test, container, rows } of fioComparisons(doc)) {
    for (const row of rows) {
      for (const metric of FIO_METRICS) {
        penalties.push({
          test: test.id, point: String(row.value), container, metric,
          host: row.host[metric].median, lxc: row.lxc[metric].median,
          penaltyPct: row.penalty[metric], flagged: row.flagged[metric],
        });
      }
    }
  }
  return penalties;
}
