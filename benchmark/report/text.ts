// Sentences shared by the report formats: the run line, the flagged penalties, the points within
// the noise, the notes on units and verdicts.
import { flaggedPenalties } from '../results/results.ts';
import type { BenchmarkDocument, Penalty } from '../results/results.ts';
import type { VerdictName } from '../stats/verdict.ts';
import { formatInterval, formatMetric, formatPercent, formatPoint, metricHeading } from './format.ts';

export const VERDICT_LABEL: Record<VerdictName, string> = {
  penalty: 'penalty', minor: 'minor', noise: 'within noise', better: 'better', 'n/a': 'n/a',
};

function percentOf(confidence: number): string {
  return `${Number((confidence * 100).toFixed(1))} %`;
}

/** A penalty's point as a person reads it: "forward", "bs=32 KiB", "numjobs=16". */
export function penaltyPointLabel(doc: BenchmarkDocument, p: Penalty): string {
  if (p.test === 'iperf3') return p.point;
  const test = doc.fio.tests.find((t) => t.id === p.test);
  return test ? `${test.vary}=${formatPoint(test.vary, Number(p.point))}` : p.point;
}

export function runLine(doc: BenchmarkDocument): string {
  const gate = Object.entries(doc.maxPenalty).map(([family, pct]) => `${family} ${pct} %`).join(', ');
  return `Run ${doc.runId}, profile ${doc.profile} (${doc.repetitions} repetitions of every measurement, interleaved and rotated: ` +
    `${doc.order.map((o) => o.join(', ')).join('; ')}; medians shown), ${doc.startedAt} to ${doc.finishedAt}. ` +
    `Penalty threshold: ${doc.penaltyThreshold} %, with ${percentOf(doc.confidence)} intervals.${gate === '' ? '' : ` Gate (benchmark.maxPenalty): ${gate}.`}`;
}

/**
 * How many points the repetitions could not decide, and what would decide them; undefined when
 * every comparison has a verdict other than noise.
 */
export function noiseLine(doc: BenchmarkDocument): string | undefined {
  const noise = doc.penalties.filter((p) => p.verdict === 'noise');
  if (noise.length === 0) return undefined;
  const longer = doc.profile === 'quick' ? ', longer points (profile: paper)' : '';
  return `${noise.length} of ${doc.penalties.length} comparisons are within noise (the ${percentOf(doc.confidence)} interval crosses 0 or ` +
    `${doc.penaltyThreshold} %): with ${doc.repetitions} repetitions the intervals are wide; more repetitions (benchmark.repetitions)${longer} ` +
    'or a quieter machine would tighten them.';
}

/** One sentence per penalty: where, the medians, the estimate and its interval. */
export function penaltyLine(doc: BenchmarkDocument, p: Penalty): string {
  return `${p.container}, ${p.test} ${penaltyPointLabel(doc, p)}: ${metricHeading(p.metric)} ${formatMetric(p.metric, p.lxc)} ` +
    `vs ${formatMetric(p.metric, p.host)} on the host, ${formatPercent(p.penaltyPct)} ${p.metric === 'latency' ? 'higher' : 'lower'} ` +
    `(${percentOf(doc.confidence)} interval ${formatInterval(p.ci)})`;
}

/** One sentence per flagged penalty (verdict penalty), worst first. */
export function flaggedLines(doc: BenchmarkDocument): string[] {
  return flaggedPenalties(doc)
    .sort((a, b) => (b.ci?.low ?? 0) - (a.ci?.low ?? 0))
    .map((p) => penaltyLine(doc, p));
}

export function reportNotes(): string[] {
  return [
    'Penalty: positive means the container is worse: (host - LXC) / host for IOPS, bandwidth and throughput; (LXC - host) / host for latency (the paper\'s "47.90 % less IOPS", "91.94 % higher latency").',
    'Penalty estimate: from the geometric means of the repetitions; interval: Welch t interval on the difference of the mean logarithms (host vs LXC), as a ratio. ' +
      'Verdict: penalty when the whole interval is beyond the threshold; minor when it lies between 0 and the threshold; within noise when it crosses 0 or the threshold; better when it lies below 0.',
    'Spread: (max - min) / median over the repetitions.',
    'Units: Gbit/s = 10^9 bit/s; MB/s = 10^6 bytes/s (fio reports bytes/s); latency is fio\'s mean total latency (submission + completion) in µs. Mixed random access adds read and write IOPS and bandwidth, and weights latency by I/O count.',
  ];
}
