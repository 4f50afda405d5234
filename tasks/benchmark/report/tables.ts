// The report's tables as data (caption, headers, cells), shared by the Markdown and HTML renderers.
// Their shape follows the paper's Table 1 and 2: host, LXC and penalty columns per metric.
import { fioComparisons, iperf3Comparisons } from '../analysis.ts';
import type { FioComparison, Iperf3Comparison } from '../analysis.ts';
import type { BenchmarkDocument } from '../results.ts';
import type { RunComparison } from './compare.ts';
import { formatMetric, formatPercent, formatPoint, formatSpread, METRIC_LABEL, metricHeading, VARY_HEADER } from './format.ts';

export interface Cell {
  text: string;
  /** A penalty beyond the threshold. */
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

function penaltyCell(pct: number | null, flagged: boolean): Cell {
  return { text: formatPercent(pct), numeric: true, flagged };
}

function table(caption: string, headers: string[], rows: Cell[][]): Table {
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => r[i]?.numeric === true));
  return { caption, headers, numeric, rows };
}

function iperf3Table(doc: BenchmarkDocument, comparison: Iperf3Comparison): Table {
  const peer = doc.iperf3.status === 'ran' ? doc.iperf3.peer : '';
  return table(
    `iperf3 to ${peer}: host vs ${comparison.container}`,
    ['Direction', 'Host (Gbit/s)', 'LXC (Gbit/s)', 'Penalty', 'Spread (host / LXC)'],
    comparison.rows.map((r) => [
      { text: DIRECTION_LABEL[r.direction] },
      num(formatMetric('throughput', r.host.median)),
      num(formatMetric('throughput', r.lxc.median)),
      penaltyCell(r.penalty, r.flagged),
      num(`${formatSpread(r.host.spread)} / ${formatSpread(r.lxc.spread)}`),
    ]),
  );
}

function fioTable(comparison: FioComparison): Table {
  const { test, container } = comparison;
  const params = [`rw=${test.rw}`, test.vary === 'bs' ? '' : `bs=${formatPoint('bs', test.bs)}`, test.vary === 'iodepth' ? '' : `iodepth=${test.iodepth}`, test.vary === 'numjobs' ? '' : `threads=${test.numjobs}`]
    .filter((p) => p !== '').join(', ');
  return table(
    `${test.title}: host vs ${container} (${params})`,
    [
      VARY_HEADER[test.vary],
      'IOPS (host)', 'IOPS (LXC)', 'IOPS penalty',
      'BW (MB/s, host)', 'BW (MB/s, LXC)', 'BW penalty',
      'Latency (µs, host)', 'Latency (µs, LXC)', 'Latency penalty',
      'Spread IOPS (host / LXC)',
    ],
    comparison.rows.map((r) => [
      num(formatPoint(test.vary, r.value)),
      num(formatMetric('iops', r.host.iops.median)), num(formatMetric('iops', r.lxc.iops.median)), penaltyCell(r.penalty.iops, r.flagged.iops),
      num(formatMetric('bw', r.host.bw.median)), num(formatMetric('bw', r.lxc.bw.median)), penaltyCell(r.penalty.bw, r.flagged.bw),
      num(formatMetric('latency', r.host.latency.median)), num(formatMetric('latency', r.lxc.latency.median)), penaltyCell(r.penalty.latency, r.flagged.latency),
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
      tables: fio.filter((c) => c.test.id === test.id).map(fioTable),
    })),
  };
}

function signed(value: number | null, unit: string): string {
  if (value === null) return 'n/a';
  return `${value > 0 ? '+' : ''}${value.toFixed(2)} ${unit}`;
}

export function comparisonTables(cmp: RunComparison, runId: string): Table[] {
  const penalties = table(
    `Penalties, run ${cmp.baseRunId} → run ${runId} (percentage points; negative: the container caught up)`,
    ['Test', 'Point', 'Container', 'Metric', 'Before', 'Now', 'Change'],
    cmp.penalties.map((p) => [
      { text: p.test }, { text: p.point }, { text: p.container }, { text: METRIC_LABEL[p.metric] },
      num(formatPercent(p.before)), num(formatPercent(p.after)),
      num(p.before === null || p.after === null ? 'n/a' : signed(p.after - p.before, 'pp')),
    ]),
  );
  const medians = table(
    `Medians, run ${cmp.baseRunId} → run ${runId}`,
    ['Test', 'Point', 'Target', 'Metric', 'Before', 'Now', 'Change', ''],
    cmp.medians.map((m) => [
      { text: m.test }, { text: m.point }, { text: m.target }, { text: metricHeading(m.metric) },
      num(formatMetric(m.metric, m.before)), num(formatMetric(m.metric, m.after)), num(signed(m.changePct, '%')),
      { text: m.better === null ? '' : m.better ? 'better' : 'worse' },
    ]),
  );
  return [penalties, medians];
}
