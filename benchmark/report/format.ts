// Units and labels of the report. Stored values are in base units (bits/s, bytes/s, ns); shown as
// the paper shows them: Gbit/s (10^9 bit/s), MB/s (10^6 bytes/s; fio's own "MB/s" is also 10^6,
// its "MiB/s" and the JSON "bw" field are 2^10-based), latency in µs.
import type { FioVary } from '../run/profiles.ts';
import type { Metric } from '../results/results.ts';

export const METRIC_LABEL: Record<Metric, string> = { throughput: 'Throughput', iops: 'IOPS', bw: 'BW', latency: 'Latency' };
export const METRIC_UNIT: Record<Metric, string> = { throughput: 'Gbit/s', iops: 'IOPS', bw: 'MB/s', latency: 'µs' };
/** ASCII units for CSV headers and cells, where "µ" may not survive a spreadsheet import. */
export const METRIC_UNIT_ASCII: Record<Metric, string> = { throughput: 'Gbit/s', iops: 'IOPS', bw: 'MB/s', latency: 'us' };

/** "IOPS", "BW (MB/s)", "Latency (µs)", "Throughput (Gbit/s)". */
export function metricHeading(metric: Metric): string {
  return metric === 'iops' ? 'IOPS' : `${METRIC_LABEL[metric]} (${METRIC_UNIT[metric]})`;
}

const SCALE: Record<Metric, number> = { throughput: 1e9, iops: 1, bw: 1e6, latency: 1e3 };

/** A stored base-unit value in the unit shown for the metric. */
export function inDisplayUnit(metric: Metric, value: number): number {
  return value / SCALE[metric];
}

function grouped(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The value as shown in tables: IOPS as grouped integers, the others with sensible decimals. */
export function formatMetric(metric: Metric, value: number): string {
  const v = inDisplayUnit(metric, value);
  if (metric === 'iops') return grouped(v);
  if (Math.abs(v) >= 1000) return grouped(v);
  if (metric === 'throughput') return v.toFixed(2);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** The paper's style: "47.90 %". */
export function formatPercent(pct: number | null): string {
  return pct === null ? 'n/a' : `${pct.toFixed(2)} %`;
}

/** A penalty interval: "[12.3, 25.0] %"; "n/a" when there is none. */
export function formatInterval(ci: { low: number; high: number } | null): string {
  return ci === null ? 'n/a' : `[${ci.low.toFixed(1)}, ${ci.high.toFixed(1)}] %`;
}

/** A spread fraction as a short percentage: "1.3 %". */
export function formatSpread(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export const VARY_HEADER: Record<FioVary, string> = { bs: 'Block', iodepth: 'Queue depth', numjobs: 'Threads' };

/** The varied parameter's value as a column cell: block sizes with units, counts as they are. */
export function formatPoint(vary: FioVary, value: number): string {
  return vary === 'bs' ? formatBytes(value) : String(value);
}
