// The report as CSV (RFC 4180, one header line), in the display units named in the `unit` column.
// One row per comparison point and metric; with --compare, one row per change instead.
import { fioComparisons, iperf3Comparisons, FIO_METRICS } from '../analysis.ts';
import type { BenchmarkDocument, Metric } from '../results.ts';
import type { Summary } from '../stats.ts';
import type { RunComparison } from './compare.ts';
import { inDisplayUnit, METRIC_UNIT_ASCII } from './format.ts';

export const CSV_COLUMNS = [
  'host', 'run', 'profile', 'test', 'vary', 'point', 'container', 'metric', 'unit',
  'host_median', 'lxc_median', 'penalty_pct', 'flagged', 'host_spread_pct', 'lxc_spread_pct', 'repetitions',
] as const;

export const CSV_COMPARE_COLUMNS = [
  'host', 'run', 'base_run', 'kind', 'test', 'point', 'target', 'metric', 'unit', 'before', 'after', 'change',
] as const;

function field(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(Number(value.toFixed(6))) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function line(values: (string | number | boolean | null)[]): string {
  return values.map(field).join(',');
}

function shown(metric: Metric, s: Summary): [number, number] {
  return [inDisplayUnit(metric, s.median), s.spread * 100];
}

export function renderCsv(doc: BenchmarkDocument): string {
  const rows = [CSV_COLUMNS.join(',')];
  const base = [doc.host, doc.runId, doc.profile];
  for (const { container, rows: iperf3 } of iperf3Comparisons(doc)) {
    for (const r of iperf3) {
      const [h, hs] = shown('throughput', r.host);
      const [l, ls] = shown('throughput', r.lxc);
      rows.push(line([...base, 'iperf3', 'direction', r.direction, container, 'throughput', METRIC_UNIT_ASCII.throughput, h, l, r.penalty, r.flagged, hs, ls, r.host.n]));
    }
  }
  for (const { test, container, rows: fio } of fioComparisons(doc)) {
    for (const r of fio) {
      for (const metric of FIO_METRICS) {
        const [h, hs] = shown(metric, r.host[metric]);
        const [l, ls] = shown(metric, r.lxc[metric]);
        rows.push(line([...base, test.id, test.vary, r.value, container, metric, METRIC_UNIT_ASCII[metric], h, l, r.penalty[metric], r.flagged[metric], hs, ls, r.host[metric].n]));
      }
    }
  }
  return `${rows.join('\n')}\n`;
}

/** Median changes (change in %) and penalty changes (change in percentage points). */
export function renderCompareCsv(doc: BenchmarkDocument, cmp: RunComparison): string {
  const rows = [CSV_COMPARE_COLUMNS.join(',')];
  const base = [doc.host, doc.runId, cmp.baseRunId];
  for (const m of cmp.medians) {
    rows.push(line([...base, 'median', m.test, m.point, m.target, m.metric, METRIC_UNIT_ASCII[m.metric], inDisplayUnit(m.metric, m.before), inDisplayUnit(m.metric, m.after), m.changePct]));
  }
  for (const p of cmp.penalties) {
    const change = p.before === null || p.after === null ? null : p.after - p.before;
    rows.push(line([...base, 'penalty', p.test, p.point, p.container, p.metric, '%', p.before, p.after, change]));
  }
  return `${rows.join('\n')}\n`;
}
