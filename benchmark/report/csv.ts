// The report as CSV (RFC 4180, one header line), in the display units named in the `unit` column.
// One row per comparison point and metric; with --compare, one row per change instead.
import { fioComparisons, iperf3Comparisons, FIO_METRICS } from '../stats/analysis.ts';
import type { BenchmarkDocument, Metric } from '../results/results.ts';
import type { Summary } from '../stats/stats.ts';
import type { Comparison } from '../stats/verdict.ts';
import type { Change, RunComparison } from './compare.ts';
import { inDisplayUnit, METRIC_UNIT_ASCII } from './format.ts';

export const CSV_COLUMNS = [
  'host', 'run', 'profile', 'test', 'vary', 'point', 'container', 'metric', 'unit',
  'host_median', 'lxc_median', 'penalty_pct', 'penalty_low_pct', 'penalty_high_pct', 'confidence', 'verdict', 'flagged',
  'host_spread_pct', 'lxc_spread_pct', 'repetitions',
] as const;

export const CSV_COMPARE_COLUMNS = [
  'host', 'run', 'base_run', 'kind', 'test', 'point', 'target', 'metric', 'unit', 'before', 'after',
  'change_pct', 'change_low_pct', 'change_high_pct', 'confidence', 'verdict',
] as const;

function field(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(Number(value.toFixed(6))) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function line(values: (string | number | boolean | null)[]): string {
  return values.map(field).join(',');
}

/** penalty_pct … flagged. */
function verdictFields(c: Comparison, confidence: number): (string | number | boolean | null)[] {
  return [c.pct, c.ci?.low ?? null, c.ci?.high ?? null, confidence, c.verdict, c.verdict === 'penalty'];
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
      rows.push(line([...base, 'iperf3', 'direction', r.direction, container, 'throughput', METRIC_UNIT_ASCII.throughput, h, l, ...verdictFields(r.penalty, doc.confidence), hs, ls, r.host.n]));
    }
  }
  for (const { test, container, rows: fio } of fioComparisons(doc)) {
    for (const r of fio) {
      for (const metric of FIO_METRICS) {
        const [h, hs] = shown(metric, r.host[metric]);
        const [l, ls] = shown(metric, r.lxc[metric]);
        rows.push(line([...base, test.id, test.vary, r.value, container, metric, METRIC_UNIT_ASCII[metric], h, l, ...verdictFields(r.penalty[metric], doc.confidence), hs, ls, r.host[metric].n]));
      }
    }
  }
  return `${rows.join('\n')}\n`;
}

/**
 * Median rows: the medians before and after, the change of the values (%). Penalty rows: the
 * penalties before and after (%), the change of the LXC/host ratio (%). Verdict "penalty": worse now.
 */
export function renderCompareCsv(doc: BenchmarkDocument, cmp: RunComparison): string {
  const rows = [CSV_COMPARE_COLUMNS.join(',')];
  const base = [doc.host, doc.runId, cmp.baseRunId];
  const change = (c: Change) => [c.changePct, c.ci?.low ?? null, c.ci?.high ?? null, cmp.confidence, c.verdict];
  for (const m of cmp.medians) {
    rows.push(line([...base, 'median', m.test, m.point, m.target, m.metric, METRIC_UNIT_ASCII[m.metric], inDisplayUnit(m.metric, m.before), inDisplayUnit(m.metric, m.after), ...change(m)]));
  }
  for (const p of cmp.penalties) {
    rows.push(line([...base, 'penalty', p.test, p.point, p.container, p.metric, '%', p.before, p.after, ...change(p)]));
  }
  return `${rows.join('\n')}\n`;
}
