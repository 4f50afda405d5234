// Sentences shared by the report formats: the run line, the flagged penalties, the points within
// the noise, the notes on units and verdicts.
import { fioRepetitions, flaggedPenalties } from '../results/results.ts';
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
  const order = doc.order.slice(0, 4).map((o) => o.join(', ')).join('; ');
  return `Run ${doc.runId}, profile ${doc.profile} (${roundsText(doc)}; every target once per round, in an order drawn at random: ` +
    `${order}${doc.order.length > 4 ? '; …' : ''}${doc.fio.mirrored ? `; fio twice per round, ${doc.fio.runtimeMs} ms each, in that order and back` : ''}; medians shown), ${doc.startedAt} to ${doc.finishedAt}. ` +
    `Penalty threshold: ${doc.penaltyThreshold} %, with ${percentOf(doc.confidence)} intervals.${gate === '' ? '' : ` Gate (benchmark.maxPenalty): ${gate}.`}` +
    `${budgetLine(doc) === undefined ? '' : ` ${budgetLine(doc)}`}`;
}

/** "3 to 12 rounds per point (at least 3; more until ±10 points)", "10 to 31 … (at least 10, fio 20; …)", or "4 rounds of every point". */
export function roundsText(doc: BenchmarkDocument): string {
  const rounds = doc.penalties.map((p) => p.rounds);
  const fio = fioRepetitions(doc);
  const most = Math.max(doc.repetitions, fio, ...rounds);
  if (!doc.adaptive) return `${doc.repetitions} rounds of every point`;
  if (most === doc.repetitions) return `${doc.repetitions} rounds of every point${doc.adaptive.imprecise.length === 0 ? `, enough for ±${doc.adaptive.precision} points` : ''}`;
  const least = fio === doc.repetitions ? `${fio}` : `${doc.repetitions}, fio ${fio}`;
  return `${Math.min(...rounds)} to ${most} rounds per point (at least ${least}; more until ±${doc.adaptive.precision} points)`;
}

/** Whether the time budget ran out before every point reached the precision; undefined when it did not. */
export function budgetLine(doc: BenchmarkDocument): string | undefined {
  const a = doc.adaptive;
  if (!a || a.imprecise.length === 0) return undefined;
  const why = a.budgetExhausted ? `the time budget (${a.budgetSeconds} s; ${a.spentSeconds} s spent) ran out` : 'the cap of rounds was reached';
  return `${why} before ${a.imprecise.length} point${a.imprecise.length === 1 ? '' : 's'} reached ±${a.precision} points: ` +
    `${a.imprecise.slice(0, 4).join(', ')}${a.imprecise.length > 4 ? ', …' : ''} (benchmark.budget, benchmark.precision).`;
}

/**
 * How many points the repetitions could not decide, and what would decide them; undefined when
 * every comparison has a verdict other than noise.
 */
export function noiseLine(doc: BenchmarkDocument): string | undefined {
  const noise = doc.penalties.filter((p) => p.verdict === 'noise');
  if (noise.length === 0) return undefined;
  const longer = doc.profile === 'paper' ? '' : ', longer points (profile: paper)';
  const widest = Math.max(...noise.map((p) => p.halfWidth ?? Infinity));
  return `${noise.length} of ${doc.penalties.length} comparisons are within noise (the ${percentOf(doc.confidence)} interval crosses 0 or ` +
    `${doc.penaltyThreshold} %; half-widths up to ${Number.isFinite(widest) ? `±${widest.toFixed(1)}` : 'n/a'} points): a finer precision with a larger time budget ` +
    `(benchmark.precision, benchmark.budget)${longer} or a quieter machine would tighten them.`;
}

/** One sentence per penalty: where, the medians, the estimate and its interval. */
export function penaltyLine(doc: BenchmarkDocument, p: Penalty): string {
  return `${p.container}, ${p.test} ${penaltyPointLabel(doc, p)}: ${metricHeading(p.metric)} ${formatMetric(p.metric, p.lxc)} ` +
    `vs ${formatMetric(p.metric, p.host)} on the host, ${formatPercent(p.penaltyPct)} ${p.metric === 'latency' ? 'higher' : 'lower'} ` +
    `(${percentOf(doc.confidence)} interval ${formatInterval(p.ci)}, ±${p.halfWidth === null ? 'n/a' : p.halfWidth.toFixed(1)} points over ${p.rounds} rounds)`;
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
    'Penalty estimate: the geometric mean of the per-round ratios LXC/host (host and container measured in the same round); interval: t interval on the mean log ratio, its spread from the first rounds (Stein\'s two-stage procedure: more rounds were planned from those), as a ratio. ' +
      'Each interval is taken at 1 - 5 %/N for the run\'s N comparisons (Bonferroni), so that all of them hold at once with 95 %: a run flags a point that is not past the threshold at most 1 time in 40. ' +
      'Half-width (±): half the interval\'s width in percentage points, the smallest penalty the run could have told from none. ' +
      'Verdict: penalty when the whole interval is beyond the threshold; minor when it lies between 0 and the threshold; within noise when it crosses 0 or the threshold; better when it lies below 0.',
    'Spread: (max - min) / median over the repetitions.',
    'Units: Gbit/s = 10^9 bit/s; MB/s = 10^6 bytes/s (fio reports bytes/s); latency is fio\'s mean total latency (submission + completion) in µs. Mixed random access adds read and write IOPS and bandwidth, and weights latency by I/O count.',
  ];
}
