// The report's tables as data (caption, headers, cells), shared by the Markdown and HTML renderers.
// Their shape follows the paper's Table 1 and 2: host, LXC and penalty columns per metric.
import { fioComparisons, iperf3Comparisons } from '../stats/analysis.ts';
import { halfWidth } from '../stats/paired.ts';
import type { FioComparison, Iperf3Comparison } from '../stats/analysis.ts';
import type { BenchmarkDocument } from '../results/results.ts';
import type { Comparison, VerdictName } from '../stats/verdict.ts';
import type { Change, RunComparison } from './compare.ts';
import { formatInterval, formatMetric, formatPercent, formatPoint, formatSpread, METRIC_LABEL, metricHeading, VARY_HEADER } from './format.ts';
import { VERDICT_LABEL } from './text.ts';

export interface Cell {
  text: string;
  /** A penalty: the whole interval beyond the threshold. */
  flagged?: boolean;
  /** Right-aligned. */
  numeric?: boolean;
}

export interface Table {
  caption: string;
  headers: string[];
  /** Which columns are numeric (right-aligned). */
  numeric: boolean[];
  rows: Cell[][];
}

const DIRECTION_LABEL = { forward: 'send (host/LXC → peer)', reverse: 'receive (-R, peer → host/LXC)' } as const;

function num(text: string): Cell {
  return { text, numeric: true };
}

/** The estimate, its interval and the interval's half-width (the smallest penalty the run could have told from none): "15.38 % [-8.2, 34.1] % ±21.2". */
function penaltyCell(c: Comparison): Cell {
  return { text: c.ci === null ? formatPercent(c.pct) : `${formatPercent(c.pct)} ${formatInterval(c.ci)} ±${halfWidth(c).toFixed(1)}`, numeric: true, flagged: c.verdict === 'penalty' };
}

function table(caption: string, headers: string[], rows: Cell[][]): Table {
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => r[i]?.numeric === true));
  return { caption, headers, numeric, rows };
}

function confidenceLabel(doc: BenchmarkDocument): string {
  return `${Number((doc.confidence * 100).toFixed(1))} %`;
}

function iperf3Table(doc: BenchmarkDocument, comparison: Iperf3Comparison): Table {
  const peer = doc.iperf3.status === 'ran' ? doc.iperf3.peer : '';
  return table(
    `iperf3 to ${peer}: host vs ${comparison.container}`,
    ['Direction', 'Host (Gbit/s)', 'LXC (Gbit/s)', `Penalty [${confidenceLabel(doc)} interval] ±half-width`, 'Verdict', 'Spread (host / LXC)'],
    comparison.rows.map((r) => [
      { text: DIRECTION_LABEL[r.direction] },
      num(formatMetric('throughput', r.host.median)),
      num(formatMetric('throughput', r.lxc.median)),
      penaltyCell(r.penalty),
      { text: VERDICT_LABEL[r.penalty.verdict], flagged: r.penalty.verdict === 'penalty' },
      num(`${formatSpread(r.host.spread)} / ${formatSpread(r.lxc.spread)}`),
    ]),
  );
}

function fioTable(doc: BenchmarkDocument, comparison: FioComparison): Table {
  const { test, container } = comparison;
  const params = [`rw=${test.rw}`, test.vary === 'bs' ? '' : `bs=${formatPoint('bs', test.bs)}`, test.vary === 'iodepth' ? '' : `iodepth=${test.iodepth}`, test.vary === 'numjobs' ? '' : `threads=${test.numjobs}`]
    .filter((p) => p !== '').join(', ');
  return table(
    `${test.title}: host vs ${container} (${params})`,
    [
      VARY_HEADER[test.vary],
      'IOPS (host)', 'IOPS (LXC)', `IOPS penalty [${confidenceLabel(doc)} interval] ±half-width`,
      'BW (MB/s, host)', 'BW (MB/s, LXC)', 'BW penalty [interval] ±',
      'Latency (µs, host)', 'Latency (µs, LXC)', 'Latency penalty [interval] ±',
      'Verdict (IOPS / BW / latency)',
      'Spread IOPS (host / LXC)',
    ],
    comparison.rows.map((r) => [
      num(formatPoint(test.vary, r.value)),
      num(formatMetric('iops', r.host.iops.median)), num(formatMetric('iops', r.lxc.iops.median)), penaltyCell(r.penalty.iops),
      num(formatMetric('bw', r.host.bw.median)), num(formatMetric('bw', r.lxc.bw.median)), penaltyCell(r.penalty.bw),
      num(formatMetric('latency', r.host.latency.median)), num(formatMetric('latency', r.lxc.latency.median)), penaltyCell(r.penalty.latency),
      {
        text: [r.penalty.iops, r.penalty.bw, r.penalty.latency].map((c) => VERDICT_LABEL[c.verdict]).join(' / '),
        flagged: [r.penalty.iops, r.penalty.bw, r.penalty.latency].some((c) => c.verdict === 'penalty'),
      },
      num(`${formatSpread(r.host.iops.spread)} / ${formatSpread(r.lxc.iops.spread)}`),
    ]),
  );
}

export interface ReportTables {
  iperf3: Table[];
  fio: { testId: string; title: string; tables: Table[] }[];
}

export function reportTables(doc: BenchmarkDocument): ReportTables {
  const fio = fioComparisons(doc);
  return {
    iperf3: iperf3Comparisons(doc).map((c) => iperf3Table(doc, c)),
    fio: doc.fio.tests.map((test) => ({
      testId: test.id,
      title: test.title,
      tables: fio.filter((c) => c.test.id === test.id).map((c) => fioTable(doc, c)),
    })),
  };
}

function signed(value: number | null, unit: string): string {
  if (value === null) return 'n/a';
  return `${value > 0 ? '+' : ''}${value.toFixed(2)} ${unit}`;
}

/** A change between runs: "+3.20 % [-5.1, 12.0] %". */
function changeText(c: Change): string {
  return c.ci === null ? signed(c.changePct, '%') : `${signed(c.changePct, '%')} ${formatInterval(c.ci)}`;
}

/** Verdicts of a change between runs: worse (beyond the threshold), slightly worse, within noise, better. */
export const CHANGE_LABEL: Record<VerdictName, string> = {
  penalty: 'worse', minor: 'slightly worse', noise: 'within noise', better: 'better', 'n/a': 'n/a',
};

export function comparisonTables(cmp: RunComparison, runId: string): Table[] {
  const level = `${Number((cmp.confidence * 100).toFixed(1))} %`;
  const penalties = table(
    `Penalties, run ${cmp.baseRunId} → run ${runId}; change of the LXC/host ratio with its ${level} interval, worse when the container lost more than ${cmp.threshold} % against the host`,
    ['Test', 'Point', 'Container', 'Metric', 'Before', 'Now', 'LXC/host change [interval]', 'Verdict'],
    cmp.penalties.map((p) => [
      { text: p.test }, { text: p.point }, { text: p.container }, { text: METRIC_LABEL[p.metric] },
      num(formatPercent(p.before)), num(formatPercent(p.after)),
      { text: changeText(p), numeric: true, flagged: p.verdict === 'penalty' },
      { text: CHANGE_LABEL[p.verdict], flagged: p.verdict === 'penalty' },
    ]),
  );
  const medians = table(
    `Medians, run ${cmp.baseRunId} → run ${runId}; change with its ${level} interval, worse beyond ${cmp.threshold} %`,
    ['Test', 'Point', 'Target', 'Metric', 'Before', 'Now', 'Change [interval]', 'Verdict'],
    cmp.medians.map((m) => [
      { text: m.test }, { text: m.point }, { text: m.target }, { text: metricHeading(m.metric) },
      num(formatMetric(m.metric, m.before)), num(formatMetric(m.metric, m.after)),
      { text: changeText(m), numeric: true, flagged: m.verdict === 'penalty' },
      { text: CHANGE_LABEL[m.verdict], flagged: m.verdict === 'penalty' },
    ]),
  );
  return [penalties, medians];
}
