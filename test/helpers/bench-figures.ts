// What a benchmark lab test logs about the precision a run reached: for the iperf3 and fio IOPS
// points (the issue's goal), the widest and median half-width, the rounds, the time spent, and
// the flagged points.
import type { BenchmarkDocument, Penalty } from '../../benchmark/results/results.ts';
import { fioValues } from '../../benchmark/stats/analysis.ts';
import { median } from '../../benchmark/stats/stats.ts';

/** The standard deviation of a comparison's per-round log ratios (container / host): what sizes the rounds a precision needs. */
function roundSpread(doc: BenchmarkDocument, p: Penalty): number {
  let host: number[] | undefined;
  let lxc: number[] | undefined;
  if (p.test === 'iperf3' && doc.iperf3.status === 'ran') {
    const bps = (target: string) => doc.iperf3.status === 'ran' ? doc.iperf3.runs.find((r) => r.target === target && r.direction === p.point)?.samples.map((x) => x.receivedBps) : undefined;
    [host, lxc] = [bps('host'), bps(p.container)];
  } else {
    const test = doc.fio.tests.find((x) => x.id === p.test);
    const values = (target: string) => {
      const point = test?.points.find((x) => String(x.value) === p.point && x.target === target);
      return test && point ? fioValues(test.rw, point.samples)[p.metric as 'iops' | 'bw' | 'latency'] : undefined;
    };
    [host, lxc] = [values('host'), values(p.container)];
  }
  if (!host || !lxc) return Number.NaN;
  const d = host.map((h, i) => Math.log(lxc[i]! / h)).filter(Number.isFinite);
  const m = d.reduce((a, b) => a + b, 0) / d.length;
  return Math.sqrt(d.reduce((a, x) => a + (x - m) ** 2, 0) / (d.length - 1));
}

export function precisionFigures(doc: BenchmarkDocument): string {
  const goal = doc.penalties.filter((p) => p.test === 'iperf3' || p.metric === 'iops');
  const halves = goal.map((p) => p.halfWidth ?? Infinity);
  const within = (limit: number) => halves.filter((h) => h <= limit).length;
  const rounds = goal.map((p) => p.rounds);
  const iperf3 = goal.filter((p) => p.test === 'iperf3').map((p) => `${p.container} ${p.point} ±${p.halfWidth?.toFixed(1) ?? 'n/a'} (${p.rounds} rounds)`);
  const a = doc.adaptive;
  const spreads = (ps: Penalty[]) => ps.map((p) => roundSpread(doc, p)).filter(Number.isFinite);
  const spreadText = (ps: Penalty[]) => {
    const xs = spreads(ps);
    return xs.length === 0 ? 'n/a' : `median ${median(xs).toFixed(3)}, widest ${Math.max(...xs).toFixed(3)}`;
  };
  return [
    `precision: ${goal.length} iperf3 and fio IOPS comparisons: half-width median ±${median(halves).toFixed(1)}, widest ±${Math.max(...halves).toFixed(1)}; ` +
      `${within(5)} within ±5, ${within(10)} within ±10; rounds ${Math.min(...rounds)} to ${Math.max(...rounds)} (median ${median(rounds)})`,
    `iperf3: ${iperf3.join('; ')}`,
    `per-round spread of the log ratios (sd): iperf3 ${spreadText(goal.filter((p) => p.test === 'iperf3'))}; fio IOPS ${spreadText(goal.filter((p) => p.metric === 'iops'))}; ` +
      `fio IOPS by point: ${goal.filter((p) => p.metric === 'iops').map((p) => `${p.container} ${p.test} ${p.point} ${roundSpread(doc, p).toFixed(3)}`).join(', ')}`,
    `time: ${a ? `${a.spentSeconds} s of a ${a.budgetSeconds} s budget; ${a.imprecise.length} points left wider than ±${a.precision}` : 'not adaptive'} ` +
      `(${doc.startedAt} to ${doc.finishedAt}); ${doc.penalties.length} comparisons`,
    `flagged: ${doc.penalties.filter((p) => p.flagged).map((p) => `${p.container} ${p.test} ${p.point} ${p.metric} ${p.penaltyPct?.toFixed(1)} % [${p.ci?.low.toFixed(1)}, ${p.ci?.high.toFixed(1)}]`).join('; ') || 'none'}`,
  ].join('\n');
}
