// `report --compare RUN`: how this run's values and penalties moved against an earlier run, with
// the same statistics as host vs container (verdict.ts): a Welch interval on the log-ratio of the
// repetitions, after over before; for a penalty, on the ratio of the two runs' LXC/host ratios.
// Only points measured in both runs are compared (profiles may differ).
import { fioValues, iperf3Values, FIO_METRICS } from '../stats/analysis.ts';
import type { BenchmarkDocument, Metric } from '../results/results.ts';
import { HOST_LABEL } from '../results/results.ts';
import { median } from '../stats/stats.ts';
import { comparisonOfRatio, welchLogContrast } from '../stats/verdict.ts';
import type { RatioInterval, VerdictName } from '../stats/verdict.ts';
import { formatPoint } from './format.ts';

/** A change between the runs, signed as measured (+ means larger now), and whether it is worse. */
export interface Change {
  /** (ratio - 1) in percent, from the geometric means; null: n/a. */
  changePct: number | null;
  ci: { low: number; high: number } | null;
  /** As for host vs LXC, with "penalty" meaning worse now beyond the threshold. */
  verdict: VerdictName;
}

export interface MedianChange extends Change {
  test: string;
  /** The point as shown: "32 KiB", "8", "forward". */
  point: string;
  target: string;
  metric: Metric;
  /** Medians. */
  before: number;
  after: number;
}

export interface PenaltyChange extends Change {
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
  confidence: number;
  threshold: number;
  medians: MedianChange[];
  penalties: PenaltyChange[];
}

function changeOf(metric: Metric, r: RatioInterval | undefined, threshold: number): Change {
  const verdict = comparisonOfRatio(metric, r, threshold).verdict;
  if (!r) return { changePct: null, ci: null, verdict };
  return { changePct: (r.ratio - 1) * 100, ci: { low: (r.low - 1) * 100, high: (r.high - 1) * 100 }, verdict };
}

/** Per target, the values of one point and metric in a run (test 'iperf3': point is the direction). */
type ValuesOf = (doc: BenchmarkDocument, target: string) => number[] | undefined;

function valuesOf(test: string, point: string, metric: Metric): ValuesOf {
  return (doc, target) => {
    if (test === 'iperf3') return iperf3Values(doc.iperf3, target, point as 'forward' | 'reverse');
    const fioTest = doc.fio.tests.find((t) => t.id === test);
    const found = fioTest?.points.find((p) => String(p.value) === point && p.target === target);
    return fioTest && found && metric !== 'throughput' ? fioValues(fioTest.rw, found.samples)[metric] : undefined;
  };
}

function pointLabelOf(doc: BenchmarkDocument, test: string, point: string): string {
  if (test === 'iperf3') return point;
  const fioTest = doc.fio.tests.find((t) => t.id === test);
  return fioTest ? formatPoint(fioTest.vary, Number(point)) : point;
}

export function compareRuns(current: BenchmarkDocument, base: BenchmarkDocument): RunComparison {
  const { confidence, penaltyThreshold: threshold } = current;
  const medians: MedianChange[] = [];
  const targets = current.targets.filter((t) => base.targets.includes(t));
  const keys: { test: string; point: string; metric: Metric }[] = [];
  for (const direction of ['forward', 'reverse'] as const) keys.push({ test: 'iperf3', point: direction, metric: 'throughput' });
  for (const test of current.fio.tests) {
    if (!base.fio.tests.some((t) => t.id === test.id)) continue;
    for (const value of test.values) for (const metric of FIO_METRICS) keys.push({ test: test.id, point: String(value), metric });
  }
  for (const target of targets) {
    for (const { test, point, metric } of keys) {
      const values = valuesOf(test, point, metric);
      const before = values(base, target);
      const after = values(current, target);
      if (!before || !after) continue;
      const r = welchLogContrast([{ values: after, sign: 1 }, { values: before, sign: -1 }], confidence);
      medians.push({
        test, point: pointLabelOf(current, test, point), target, metric,
        before: median(before), after: median(after), ...changeOf(metric, r, threshold),
      });
    }
  }
  const penalties = current.penalties.flatMap((p): PenaltyChange[] => {
    const old = base.penalties.find((b) => b.test === p.test && b.point === p.point && b.container === p.container && b.metric === p.metric);
    if (!old) return [];
    const values = valuesOf(p.test, p.point, p.metric);
    const [lxcNow, hostNow, lxcBefore, hostBefore] = [values(current, p.container), values(current, HOST_LABEL), values(base, p.container), values(base, HOST_LABEL)];
    const r = lxcNow && hostNow && lxcBefore && hostBefore
      ? welchLogContrast([{ values: lxcNow, sign: 1 }, { values: hostNow, sign: -1 }, { values: lxcBefore, sign: -1 }, { values: hostBefore, sign: 1 }], confidence)
      : undefined;
    return [{
      test: p.test, point: pointLabelOf(current, p.test, p.point), container: p.container, metric: p.metric,
      before: old.penaltyPct, after: p.penaltyPct, ...changeOf(p.metric, r, threshold),
    }];
  });
  return {
    baseRunId: base.runId,
    baseProfile: base.profile,
    baseStartedAt: base.startedAt,
    sameProfile: base.profile === current.profile,
    confidence,
    threshold,
    medians,
    penalties,
  };
}
