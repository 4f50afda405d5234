// Sentences shared by the report formats: the run line, the flagged penalties, the notes on units.
import { flaggedPenalties } from '../results.ts';
import type { BenchmarkDocument, Penalty } from '../results.ts';
import { formatMetric, formatPercent, formatPoint, metricHeading } from './format.ts';

/** A penalty's point as a person reads it: "forward", "bs=32 KiB", "numjobs=16". */
export function penaltyPointLabel(doc: BenchmarkDocument, p: Penalty): string {
  if (p.test === 'iperf3') return p.point;
  const test = doc.fio.tests.find((t) => t.id === p.test);
  return test ? `${test.vary}=${formatPoint(test.vary, Number(p.point))}` : p.point;
}

export function runLine(doc: BenchmarkDocument): string {
  return `Run ${doc.runId}, profile ${doc.profile} (${doc.repetitions} repetitions of every measurement; medians shown), ` +
    `${doc.startedAt} to ${doc.finishedAt}. Targets: ${doc.targets.join(', ')}. Penalty threshold: ${doc.penaltyThreshold} %.`;
}

/** One sentence per flagged penalty, worst first. */
export function flaggedLines(doc: BenchmarkDocument): string[] {
  return flaggedPenalties(doc)
    .sort((a, b) => (b.penaltyPct ?? 0) - (a.penaltyPct ?? 0))
    .map((p) => `${p.container}, ${p.test} ${penaltyPointLabel(doc, p)}: ${metricHeading(p.metric)} ${formatMetric(p.metric, p.lxc)} ` +
      `vs ${formatMetric(p.metric, p.host)} on the host, ${formatPercent(p.penaltyPct)} ${p.metric === 'latency' ? 'higher' : 'lower'}`);
}

export function reportNotes(): string[] {
  return [
    'Penalty: positive means the container is worse: (host - LXC) / host for IOPS, bandwidth and throughput; (LXC - host) / host for latency (the paper\'s "47.90 % less IOPS", "91.94 % higher latency").',
    'Spread: (max - min) / median over the repetitions.',
    'Units: Gbit/s = 10^9 bit/s; MB/s = 10^6 bytes/s (fio reports bytes/s); latency is fio\'s mean total latency (submission + completion) in µs. Mixed random access adds read and write IOPS and bandwidth, and weights latency by I/O count.',
  ];
}
