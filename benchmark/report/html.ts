// The report as one HTML page that stands alone: inline CSS and inline SVG charts, no script, no
// font or image to fetch (a Content-Security-Policy forbids any), so it can be mailed or archived.
import { fioSeries, iperf3Summary } from '../stats/analysis.ts';
import { HOST_LABEL, flaggedPenalties } from '../results/results.ts';
import type { BenchmarkDocument, FioTestResult, Metric } from '../results/results.ts';
import type { RunComparison } from './compare.ts';
import { formatInterval, formatMetric, formatPercent, formatPoint, inDisplayUnit, METRIC_LABEL, METRIC_UNIT } from './format.ts';
import { barChartSvg, escapeXml } from './svg.ts';
import type { BarChart, ChartGroup, ChartSeries } from './svg.ts';
import { comparisonTables, reportTables } from './tables.ts';
import type { Table } from './tables.ts';
import { flaggedLines, noiseLine, reportNotes, runLine, VERDICT_LABEL } from './text.ts';

export const HOST_COLOR = '#1f77b4';
export const CONTAINER_COLORS = ['#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px 32px; color: #222; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 22px 0 6px; }
.meta, .note { color: #555; font-size: 13px; }
.verdict { padding: 10px 14px; border-radius: 6px; margin: 14px 0; font-size: 14px; }
.verdict.flagged { background: #fdecea; border: 1px solid #d62728; }
.verdict.ok { background: #edf7ed; border: 1px solid #2ca02c; }
.verdict ul { margin: 6px 0 0; padding-left: 20px; }
.charts { display: flex; flex-wrap: wrap; gap: 18px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 8px 0 14px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; }
td { white-space: nowrap; }
th { background: #f4f4f4; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.flagged { background: #fdecea; color: #b00; font-weight: 700; }
details summary { cursor: pointer; color: #333; margin: 6px 0; }
footer { margin-top: 32px; color: #555; font-size: 12px; }
`;

function seriesOf(targets: readonly string[]): ChartSeries[] {
  let c = 0;
  return targets.map((t) => ({ name: t === HOST_LABEL ? 'host' : `LXC ${t}`, color: t === HOST_LABEL ? HOST_COLOR : CONTAINER_COLORS[c++ % CONTAINER_COLORS.length]! }));
}

/** The container's bar: its change against the host as the tables estimate it, signed as measured ("-47.9 %", "+91.9 %"), and its verdict. */
function containerBar(doc: BenchmarkDocument, test: string, point: string, container: string, metric: Metric): { label?: string; flagged: boolean; note: string; interval?: { low: number; high: number } } {
  const p = doc.penalties.find((x) => x.test === test && x.point === point && x.container === container && x.metric === metric);
  if (!p || p.penaltyPct === null) return { flagged: false, note: '' };
  const change = metric === 'latency' ? p.penaltyPct : -p.penaltyPct;
  const label = `${change > 0 ? '+' : change < 0 ? '−' : '±'}${Math.abs(change).toFixed(1)} %`;
  const note = `; penalty ${formatPercent(p.penaltyPct)} ${formatInterval(p.ci)} (±${p.halfWidth === null ? 'n/a' : p.halfWidth.toFixed(1)} points, ${p.rounds} rounds), ${VERDICT_LABEL[p.verdict]}`;
  if (!p.ci) return { label, flagged: p.flagged, note };
  // The container's value the interval allows: the host's median times the ratio at each end.
  const ends = metric === 'latency' ? [1 + p.ci.low / 100, 1 + p.ci.high / 100] : [1 - p.ci.high / 100, 1 - p.ci.low / 100];
  const interval = { low: inDisplayUnit(metric, p.host * ends[0]!), high: inDisplayUnit(metric, p.host * ends[1]!) };
  return { label, flagged: p.flagged, note, interval };
}

function fioChart(doc: BenchmarkDocument, test: FioTestResult, metric: 'iops' | 'latency'): BarChart {
  const series = fioSeries(test, doc.targets);
  const groups: ChartGroup[] = test.values.map((value) => ({
    label: formatPoint(test.vary, value),
    bars: series.flatMap((s, index) => {
      const summary = s.points.find((p) => p.value === value)?.summary;
      if (!summary) return [];
      const v = summary[metric].median;
      const bar = s.target === HOST_LABEL ? { flagged: false, note: '' } : containerBar(doc, test.id, String(value), s.target, metric);
      return [{
        series: index,
        value: inDisplayUnit(metric, v),
        ...(bar.label === undefined ? {} : { label: bar.label }),
        ...('interval' in bar && bar.interval ? { interval: bar.interval } : {}),
        flagged: bar.flagged,
        title: `${s.target}, ${test.vary} ${formatPoint(test.vary, value)}: ${formatMetric(metric, v)} ${METRIC_UNIT[metric]}${bar.note}`,
      }];
    }),
  }));
  return { title: `${METRIC_LABEL[metric]} by ${test.vary === 'bs' ? 'block size' : test.vary === 'iodepth' ? 'queue depth' : 'threads'}`, unit: METRIC_UNIT[metric], series: seriesOf(doc.targets), groups };
}

function iperf3Chart(doc: BenchmarkDocument): BarChart | undefined {
  if (doc.iperf3.status !== 'ran') return undefined;
  const iperf3 = doc.iperf3;
  const groups = (['forward', 'reverse'] as const).map((direction) => {
    return {
      label: direction === 'forward' ? 'send' : 'receive (-R)',
      bars: doc.targets.flatMap((target, index) => {
        const v = iperf3Summary(iperf3, target, direction)?.median;
        if (v === undefined) return [];
        const bar = target === HOST_LABEL ? { flagged: false, note: '' } : containerBar(doc, 'iperf3', direction, target, 'throughput');
        return [{
          series: index,
          value: inDisplayUnit('throughput', v),
          ...(bar.label === undefined ? {} : { label: bar.label }),
          ...('interval' in bar && bar.interval ? { interval: bar.interval } : {}),
          flagged: bar.flagged,
          title: `${target}, ${direction}: ${formatMetric('throughput', v)} Gbit/s${bar.note}`,
        }];
      }),
    };
  });
  return { title: `iperf3 to ${iperf3.peer}`, unit: 'Gbit/s', series: seriesOf(doc.targets), groups };
}

function htmlTable(t: Table): string {
  const head = t.headers.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c) => {
    const cls = [c.numeric ? 'num' : '', c.flagged ? 'flagged' : ''].filter((x) => x !== '').join(' ');
    return `<td${cls ? ` class="${cls}"` : ''}>${c.flagged ? '⚠ ' : ''}${escapeXml(c.text)}</td>`;
  }).join('')}</tr>`).join('\n');
  return `<table><caption>${escapeXml(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function renderHtml(doc: BenchmarkDocument, comparison?: RunComparison): string {
  const tables = reportTables(doc);
  const flagged = flaggedPenalties(doc);
  const out: string[] = [];
  out.push('<!doctype html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  out.push(`<title>Benchmark ${escapeXml(doc.host)} run ${escapeXml(doc.runId)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  out.push(`<header><h1>Benchmark: ${escapeXml(doc.host)}, host vs LXC</h1><p class="meta">${escapeXml(runLine(doc))}</p></header>`);
  if (flagged.length > 0) {
    out.push(`<section class="verdict flagged"><strong>⚠ ${flagged.length} penalt${flagged.length === 1 ? 'y' : 'ies'} beyond ${doc.penaltyThreshold} %</strong><ul>`);
    out.push(...flaggedLines(doc).map((l) => `<li>${escapeXml(l)}</li>`), '</ul></section>');
  } else {
    out.push(`<section class="verdict ok">No penalty beyond ${doc.penaltyThreshold} %: no container's interval lies wholly beyond it.</section>`);
  }
  const noise = noiseLine(doc);
  if (noise !== undefined) out.push(`<p class="note noise">${escapeXml(noise)}</p>`);

  out.push('<section id="network"><h2>Network (iperf3)</h2>');
  const netChart = iperf3Chart(doc);
  if (doc.iperf3.status === 'skipped' || !netChart) out.push(`<p class="note">Skipped: ${escapeXml(doc.iperf3.status === 'skipped' ? doc.iperf3.reason : '')}</p>`);
  else {
    out.push(`<p class="note">iperf3 -c ${escapeXml(doc.iperf3.peer)} -O ${doc.iperf3.omit} -t ${doc.iperf3.time}, and with -R; bits/s counted by the receiver. Labels: the container's change against the host (geometric means, as in the tables); whiskers: its interval, as a value of the container (the bar's tooltip gives it as a penalty, with the verdict).</p>`);
    out.push(`<div class="charts">${barChartSvg(netChart)}</div>`, ...tables.iperf3.map(htmlTable));
  }
  out.push('</section>');

  out.push('<section id="fio"><h2>Storage (fio)</h2>');
  out.push(`<p class="note">On ${escapeXml(doc.fio.directory)}, the same file from the host and from the containers; ${escapeXml(doc.fio.direct ? 'O_DIRECT' : doc.fio.directNote ?? 'buffered I/O')}.</p>`);
  for (const test of doc.fio.tests) {
    out.push(`<article id="fio-${escapeXml(test.id)}"><h3>${escapeXml(test.title)}</h3>`);
    out.push(`<div class="charts">${barChartSvg(fioChart(doc, test, 'iops'))}${barChartSvg(fioChart(doc, test, 'latency'))}</div>`);
    const testTables = tables.fio.find((t) => t.testId === test.id)?.tables ?? [];
    out.push(...testTables.map(htmlTable), '</article>');
  }
  out.push('</section>');

  out.push(`<section id="iozone"><h2>iozone</h2><p class="note">Skipped: ${escapeXml(doc.iozone.reason)}</p></section>`);

  if (comparison) {
    out.push(`<section id="compare"><h2>Change since run ${escapeXml(comparison.baseRunId)}</h2>`);
    out.push(`<p class="note">Run ${escapeXml(comparison.baseRunId)} started ${escapeXml(comparison.baseStartedAt)}, profile ${escapeXml(comparison.baseProfile)}` +
      `${comparison.sameProfile ? '' : ` (this run: ${escapeXml(doc.profile)}; only points measured in both are compared)`}.</p>`);
    const [penalties, medians] = comparisonTables(comparison, doc.runId);
    if (penalties) out.push(htmlTable(penalties));
    if (medians) out.push(`<details><summary>Medians (${medians.rows.length} values)</summary>${htmlTable(medians)}</details>`);
    out.push('</section>');
  }

  out.push(`<footer><ul>${reportNotes().map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul></footer>`, '</body>', '</html>', '');
  return out.join('\n');
}
