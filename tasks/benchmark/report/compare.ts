// `report --compare RUN`: how this run's medians and penalties moved against an earlier run.
// Only points measured in both runs are compared (profiles may differ).
import { iperf3Summary, summarizeFioSamples, FIO_METRICS } from '../analysis.ts';
import { higherIsBetter } from '../penalty.ts';
import type { BenchmarkDocument, Metric } from '../results.ts';
import { formatPoint } from './format.ts';

export interface MedianChange {
  test: string;
  /** The point as shown: "32 KiB", "8", "forward". */
  point: string;
  target: string;
  metric: Metric;
  before: number;
  after: number;
  /** (after - before) / before in percent; null when before is 0. */
  changePct: number | null;
  /** Whether the change is an improvement; null when there is no change to judge. */
  better: boolean | null;
}

export interface PenaltyChange {
  test: string;
  point: string;
  container: string;
  metric: Metric;
  before: number | null;
  after: number | null;
}

export interface RunComparison {
  baseRunId: string;
  baseProfile: BenchmarkDocument['profile'];
  baseStartedAt: string;
  sameProfile: boolean;
  medians: MedianChange[];
  penalties: PenaltyChange[];
}

function change(test: string, point: string, target: string, metric: Metric, before: number, after: number): MedianChange {
  const changePct = before === 0 ? null : ((after - before) / before) * 100;
  const better = changePct === null || changePct === 0 ? null : higherIsBetter(metric) === changePct > 0;
  return { test, point, target, metric, before, after, changePct, better };
}

function pointLabelOf(doc: BenchmarkDocument, test: string, point: string): string {
  if (test === 'iperf3') return point;
  const fioTest = doc.fio.tests.find((t) => t.id === test);
  return fioTest ? formatPoint(fioTest.vary, Number(point)) : point;
}

export function compareRuns(current: BenchmarkDocument, base: BenchmarkDocument): RunComparison {
  const medians: MedianChange[] = [];
  const targets = current.targets.filter((t) => base.targets.includes(t));
  for (const target of targets) {
    for (const direction of ['forward', 'reverse'] as const) {
      const before = iperf3Summary(base.iperf3, target, direction);
      const after = iperf3Summary(current.iperf3, target, direction);
      if (before && after) medians.push(change('iperf3', direction, target, 'throughput', before.median, after.median));
    }
  }
  for (const test of current.fio.tests) {
    const baseTest = base.fio.tests.find((t) => t.id === test.id);
    if (!baseTest) continue;
    for (const point of test.points) {
      if (!targets.includes(point.target)) continue;
      const basePoint = baseTest.points.find((p) => p.value === point.value && p.target === point.target);
      if (!basePoint) continue;
      const before = summarizeFioSamples(baseTest.rw, basePoint.samples);
      const after = summarizeFioSamples(test.rw, point.samples);
      for (const metric of FIO_METRICS) {
        medians.push(change(test.id, formatPoint(test.vary, point.value), point.target, metric, before[metric].median, after[metric].median));
      }
    }
  }
  const penalties = current.penalties.flatMap((p): PenaltyChange[] => {
    const old = base.penalties.find((b) => b.test === p.test && b.point === p.point && b.container === p.container && b.metric === p.metric);
    if (!old) return [];
    return [{ test: p.test, point: pointLabelOf(current, p.test, p.point), container: p.container, metric: p.metric, before: old.penaltyPct, after: p.penaltyPct }];
  });
  return {
    baseRunId: base.runId,
    baseProfile: base.profile,
    baseStartedAt: base.startedAt,
    sameProfile: base.profile === current.profile,
    medians,
    penalties,
  };
}
