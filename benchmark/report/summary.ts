// The compact penalty table printed at the end of provision/demo: the network result and every
// penalty (whole interval beyond the threshold), or the largest estimate when there is none, so the
// operator sees at a glance what the paper's Table 1 showed (48 % fewer IOPS at 32 kB blocks in a
// container) and how sure the measurement is of it.
import { gateFailures } from '../stats/gate.ts';
import { formatInterval, formatMetric, formatPercent, metricHeading } from './format.ts';
import { budgetLine, noiseLine, penaltyLine, penaltyPointLabel, roundsText, VERDICT_LABEL } from './text.ts';
import { FAMILY_OF } from '../results/results.ts';
import type { BenchmarkDocument, Penalty } from '../results/results.ts';

const MAX_FLAGGED_ROWS = 10;

function row(doc: BenchmarkDocument, p: Penalty): string[] {
  return [
    p.flagged ? '!' : ' ',
    p.test,
    penaltyPointLabel(doc, p),
    p.container,
    metricHeading(p.metric),
    formatMetric(p.metric, p.host),
    formatMetric(p.metric, p.lxc),
    formatPercent(p.penaltyPct),
    formatInterval(p.ci),
    p.halfWidth === null ? 'n/a' : `±${p.halfWidth.toFixed(1)}`,
    VERDICT_LABEL[p.verdict],
  ];
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([5, 6, 7, 8, 9]);
  return rows.map((r) => `  ${r.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()}`);
}

/** The gate's failures, one line each, with the limit they are past. */
export function gateLines(doc: BenchmarkDocument, failures: readonly Penalty[]): string[] {
  return failures.map((p) => `${penaltyLine(doc, p)}; maxPenalty.${FAMILY_OF[p.metric]} is ${doc.maxPenalty[FAMILY_OF[p.metric]]} %`);
}

export function renderPenaltySummary(doc: BenchmarkDocument): string {
  const confidence = `${Number((doc.confidence * 100).toFixed(1))} %`;
  const header = `benchmark ${doc.host}: run ${doc.runId}, profile ${doc.profile}, ${roundsText(doc)}, medians; ` +
    `penalty threshold ${doc.penaltyThreshold} % (whole ${confidence} interval beyond it)`;
  const network = doc.penalties.filter((p) => p.test === 'iperf3');
  const fio = doc.penalties.filter((p) => p.test !== 'iperf3');
  const flagged = fio.filter((p) => p.flagged).sort((a, b) => (b.ci?.low ?? 0) - (a.ci?.low ?? 0));
  const lines = [header];
  if (doc.targets.length < 2) return [...lines, '  no container to compare with the host'].join('\n');
  const rows: string[][] = [[' ', 'test', 'point', 'container', 'metric', 'host', 'LXC', 'penalty', 'interval', '±', 'verdict']];
  rows.push(...network.map((p) => row(doc, p)));
  let note: string;
  if (flagged.length > 0) {
    rows.push(...flagged.slice(0, MAX_FLAGGED_ROWS).map((p) => row(doc, p)));
    const more = flagged.length - MAX_FLAGGED_ROWS;
    note = `${flagged.length} of ${fio.length} fio comparisons are penalties beyond ${doc.penaltyThreshold} % (!)${more > 0 ? `, ${more} more in the report` : ''}`;
  } else {
    const worst = [...fio].sort((a, b) => (b.penaltyPct ?? -Infinity) - (a.penaltyPct ?? -Infinity))[0];
    if (worst) rows.push(row(doc, worst));
    note = `no fio penalty beyond ${doc.penaltyThreshold} % (${fio.length} compared; the largest estimate is shown)`;
  }
  if (doc.iperf3.status === 'skipped') note += `; iperf3 skipped: ${doc.iperf3.reason}`;
  const out = [...lines, ...table(rows), `  ${note}`];
  const noise = noiseLine(doc);
  if (noise !== undefined) out.push(`  ${noise}`);
  const budget = budgetLine(doc);
  if (budget !== undefined) out.push(`  ${budget}`);
  const failures = gateFailures(doc);
  if (Object.keys(doc.maxPenalty).length > 0) {
    out.push(failures.length === 0 ? '  gate (benchmark.maxPenalty): passed' : `  gate (benchmark.maxPenalty): FAILED at ${failures.length} point${failures.length === 1 ? '' : 's'}`);
  }
  return out.join('\n');
}
