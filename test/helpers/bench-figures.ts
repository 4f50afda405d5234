// What a benchmark lab test logs about the precision a run reached: for the iperf3 and fio IOPS
// points (the issue's goal), the widest and median half-width, the rounds, the time spent, and
// the flagged points.
import type { BenchmarkDocument } from '../../benchmark/results/results.ts';
import { median } from '../../benchmark/stats/stats.ts';

export function precisionFigures(doc: BenchmarkDocument): string {
  const goal = doc.penalties.filter((p) => p.test === 'iperf3' || p.metric === 'iops');
  const halves = goal.map((p) => p.halfWidth ?? Infinity);
  const within = (limit: number) => halves.filter((h) => h <= limit).length;
  const rounds = goal.map((p) => p.rounds);
  const iperf3 = goal.filter((p) => p.test === 'iperf3').map((p) => `${p.container} ${p.point} ±${p.halfWidth?.toFixed(1) ?? 'n/a'} (${p.rounds} rounds)`);
  const a = doc.adaptive;
  return [
    `precision: ${goal.length} iperf3 and fio IOPS comparisons: half-width median ±${median(halves).toFixed(1)}, widest ±${Math.max(...halves).toFixed(1)}; ` +
      `${within(5)} within ±5, ${within(10)} within ±10; rounds ${Math.min(...rounds)} to ${Math.max(...rounds)} (median ${median(rounds)})`,
    `iperf3: ${iperf3.join('; ')}`,
    `time: ${a ? `${a.spentSeconds} s of a ${a.budgetSeconds} s budget; ${a.imprecise.length} points left wider than ±${a.precision}` : 'not adaptive'} ` +
      `(${doc.startedAt} to ${doc.finishedAt}); ${doc.penalties.length} comparisons`,
    `flagged: ${doc.penalties.filter((p) => p.flagged).map((p) => `${p.container} ${p.test} ${p.point} ${p.metric} ${p.penaltyPct?.toFixed(1)} % [${p.ci?.low.toFixed(1)}, ${p.ci?.high.toFixed(1)}]`).join('; ') || 'none'}`,
  ].join('\n');
}
