// Report rendering over documents that the stage's apply made from captured fio/iperf3 outputs.
import { rmSync } from 'node:fs';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { compareRuns } from '../../../benchmark/report/compare.ts';
import { CSV_COLUMNS, CSV_COMPARE_COLUMNS } from '../../../benchmark/report/csv.ts';
import { CONTAINER_COLORS, HOST_COLOR } from '../../../benchmark/report/html.ts';
import { parseReportArgs } from '../../../cli/report-args.ts';
import { renderReport } from '../../../benchmark/report/render.ts';
import { selectRuns } from '../../../cli/report-select.ts';
import { FLAG_COLOR, niceCeiling } from '../../../benchmark/report/svg.ts';
import type { BenchmarkDocument } from '../../../benchmark/results/results.ts';
import { writeBenchmarkResult } from '../../../benchmark/results/store.ts';
import { renderPenaltySummary } from '../../../benchmark/report/summary.ts';
import { UsageError } from '../../../core/errors.ts';
import { benchPlan, quickDocument } from '../../fixtures/bench/fake-node.ts';

async function documentFor(t: ExecutionContext, options: Parameters<typeof quickDocument>[0] = {}): Promise<{ doc: BenchmarkDocument; stateDir: string }> {
  const made = await quickDocument(options);
  t.teardown(() => rmSync(made.stateDir, { recursive: true, force: true }));
  return made;
}

/** centos1's fio at half the captured speed: penalties of about 50 % on top of the captured noise. */
const FLAGGING = { node: { slowdown: { centos1: 2 } } };

/** Splits a Markdown pipe-table row into its cells (no escaped pipes occur in these tables). */
function cells(line: string): string[] {
  return line.slice(1, -1).split('|').map((c) => c.trim());
}

test('markdown: one paper-style table per fio test, every row as wide as its header', async (t) => {
  const { doc } = await documentFor(t, FLAGGING);
  const md = renderReport(doc, 'md');
  const headers = md.split('\n').filter((l) => l.startsWith('| Block |') || l.startsWith('| Queue depth |') || l.startsWith('| Threads |'));
  t.is(headers.length, 7);
  t.deepEqual(cells(headers.find((h) => h.startsWith('| Block'))!), [
    'Block', 'IOPS (host)', 'IOPS (LXC)', 'IOPS penalty [95 % interval] ±half-width', 'BW (MB/s, host)', 'BW (MB/s, LXC)', 'BW penalty [interval] ±',
    'Latency (µs, host)', 'Latency (µs, LXC)', 'Latency penalty [interval] ±', 'Verdict (IOPS / BW / latency)', 'Spread IOPS (host / LXC)',
  ]);
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('| ') || !lines[i + 1]?.startsWith('| ---') && !lines[i + 1]?.startsWith('|---')) continue;
    const width = cells(lines[i]!).length;
    let j = i + 2;
    for (; lines[j]?.startsWith('| '); j++) t.is(cells(lines[j]!).length, width, lines[j]);
    t.true(j > i + 2, 'a table has rows');
  }
  const table1 = lines.indexOf(lines.find((l) => l.includes('Sustained multi-threaded random read by block size (queue depth 1): host vs centos1'))!);
  t.deepEqual(lines.slice(table1 + 4, table1 + 7).map((l) => cells(l)[0]), ['4 KiB', '32 KiB', '64 KiB']);
  // Each penalty cell ends with its interval's half-width, the one stored with the penalty.
  const stored = (metric: string) => doc.penalties.find((p) => p.test === 'randread-bs' && p.point === '4096' && p.container === 'centos1' && p.metric === metric)!;
  const row = cells(lines[table1 + 4]!);
  t.true(row[3]!.includes(`] % ±${stored('iops').halfWidth!.toFixed(1)}`) && row[9]!.includes(`] % ±${stored('latency').halfWidth!.toFixed(1)}`), row.join(' | '));
});

test('markdown: penalties are listed at the top with their intervals and marked in the tables; the points within noise counted', async (t) => {
  const { doc } = await documentFor(t, FLAGGING);
  const flagged = doc.penalties.filter((p) => p.flagged);
  t.true(flagged.length > 0 && flagged.every((p) => p.verdict === 'penalty' && p.ci!.low > 10));
  const md = renderReport(doc, 'md');
  t.true(md.includes(`**⚠ ${flagged.length} penalties beyond 10 %:**`));
  const listed = md.split('\n').filter((l) => /^- centos1, .* (lower|higher) \(/.test(l));
  t.is(listed.length, flagged.length);
  t.true(listed.every((l) => /\(95 % interval \[\d+\.\d, \d+\.\d\] %, ±\d+\.\d points over 6 rounds\)$/.test(l)), listed.join('\n'));
  const marked = md.split('\n').filter((l) => l.startsWith('| ')).join('\n').match(/⚠ \*\*-?\d+\.\d\d % \[-?\d+\.\d, -?\d+\.\d\] % ±\d+\.\d\*\*/g) ?? [];
  t.is(marked.length, flagged.length);
  const noise = doc.penalties.filter((p) => p.verdict === 'noise').length;
  t.true(noise > 0);
  const widest = Math.max(...doc.penalties.filter((p) => p.verdict === 'noise').map((p) => p.halfWidth!));
  t.true(md.includes(`${noise} of 50 comparisons are within noise (the 95 % interval crosses 0 or 10 %; half-widths up to ±${widest.toFixed(1)} points): ` +
    'a finer precision with a larger time budget (benchmark.precision, benchmark.budget), longer points (profile: paper) or a quieter machine would tighten them.'));
  t.regex(md, /## iozone\n\nSkipped: iozone is not installed/);
});

test('csv: the documented columns, one row per point and metric', async (t) => {
  const { doc } = await documentFor(t, FLAGGING);
  const rows = renderReport(doc, 'csv').trimEnd().split('\n');
  t.is(rows[0], CSV_COLUMNS.join(','));
  t.is(rows.length, 1 + 2 + 16 * 3);
  const parsed = rows.slice(1).map((r) => r.split(','));
  t.true(parsed.every((r) => r.length === CSV_COLUMNS.length));
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  t.deepEqual([...new Set(parsed.map((r) => r[col('unit')]))].sort(), ['Gbit/s', 'IOPS', 'MB/s', 'us']);
  for (const r of parsed) {
    t.is(r[col('flagged')], String(r[col('verdict')] === 'penalty'));
    t.is(r[col('verdict')] === 'penalty', Number(r[col('penalty_low_pct')]) > 10);
    t.true(Number(r[col('penalty_low_pct')]) <= Number(r[col('penalty_pct')]) && Number(r[col('penalty_pct')]) <= Number(r[col('penalty_high_pct')]));
    t.is(r[col('confidence')], '0.95');
  }
  const iperf3 = parsed.find((r) => r[col('point')] === 'forward')!;
  const stored = doc.penalties.find((p) => p.test === 'iperf3' && p.point === 'forward')!;
  t.is(Number(iperf3[col('host_median')]), Number((stored.host / 1e9).toFixed(6)));
});

test('json: the stored document, plus the comparison when asked', async (t) => {
  const { doc } = await documentFor(t);
  t.deepEqual(JSON.parse(renderReport(doc, 'json')), doc);
  const withCompare = JSON.parse(renderReport(doc, 'json', compareRuns(doc, doc))) as { comparison: { baseRunId: string } };
  t.is(withCompare.comparison.baseRunId, doc.runId);
});

test('html: self-contained, one <rect class="bar"> per data bar, flagged bars outlined', async (t) => {
  const { doc } = await documentFor(t, FLAGGING);
  const html = renderReport(doc, 'html');
  t.false(/<script|<link|<img|src=|url\(|@import/i.test(html));
  t.true(html.includes(`Content-Security-Policy" content="default-src 'none'`));
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  t.is(svgs.length, 1 + 7 * 2);
  // iperf3: 2 directions × 2 targets; fio: per chart, its points × 2 targets.
  const expected = [4, ...doc.fio.tests.flatMap((f) => [f.values.length * 2, f.values.length * 2])];
  t.deepEqual(svgs.map((s) => (s.match(/<rect class="bar"/g) ?? []).length), expected);
  t.true(html.includes(`fill="${HOST_COLOR}"`) && html.includes(`fill="${CONTAINER_COLORS[0]}"`));
  const flaggedChartMetrics = doc.penalties.filter((p) => p.flagged && (p.metric === 'iops' || p.metric === 'latency' || p.metric === 'throughput'));
  t.is((html.match(new RegExp(`<rect class="bar"[^>]*stroke="${FLAG_COLOR}"`, 'g')) ?? []).length, flaggedChartMetrics.length);
  const flaggedTitles = html.match(new RegExp(`<rect class="bar"[^>]*stroke="${FLAG_COLOR}"[^>]*><title>[^<]*</title>`, 'g')) ?? [];
  t.true(flaggedTitles.every((r) => /; penalty \d+\.\d\d % \[\d+\.\d, \d+\.\d\] % \(±\d+\.\d points, 6 rounds\), penalty<\/title>$/.test(r)), flaggedTitles[0]);
  // Every container bar with an interval has its whisker: one <path class="interval"> each.
  const containerBars = (html.match(/<rect class="bar" data-series="LXC centos1"/g) ?? []).length;
  t.is((html.match(/<path class="interval" d="M[\d.]+ [\d.]+V[\d.]+/g) ?? []).length, containerBars);
  t.true(html.includes('within noise (the 95 % interval crosses 0 or 10 %; half-widths up to ±'), 'the noise line');
});

test('html and markdown with two containers: one table per container, three series per chart', async (t) => {
  const { doc } = await documentFor(t, { plan: benchPlan({}, ['centos1', 'centos2']), node: { sources: { centos2: 'host' } } });
  t.deepEqual(doc.targets, ['host', 'centos1', 'centos2']);
  const md = renderReport(doc, 'md');
  t.is(md.split('\n').filter((l) => /^\*\*.*: host vs centos2/.test(l)).length, 1 + 7);
  const html = renderReport(doc, 'html');
  const iperf3Svg = (html.match(/<svg[\s\S]*?<\/svg>/g) ?? [])[0]!;
  t.is((iperf3Svg.match(/<rect class="bar"/g) ?? []).length, 6);
  t.true(iperf3Svg.includes(`fill="${CONTAINER_COLORS[1]}"`));
});

test('compare: the same run shows no change; another profile compares only common points', async (t) => {
  const { doc } = await documentFor(t);
  const same = compareRuns(doc, doc);
  t.true(same.sameProfile);
  t.is(same.penalties.length, doc.penalties.length);
  t.true(same.medians.every((m) => Math.abs(m.changePct!) < 1e-9 && m.verdict === 'noise' && m.ci!.low < 0 && m.ci!.high > 0));
  t.true(same.penalties.every((p) => Math.abs(p.changePct!) < 1e-9 && p.verdict === 'noise'));
  const older: BenchmarkDocument = { ...doc, runId: 'older', profile: 'paper', fio: { ...doc.fio, tests: doc.fio.tests.slice(0, 1) } };
  const cmp = compareRuns(doc, older);
  t.false(cmp.sameProfile);
  t.deepEqual([...new Set(cmp.medians.map((m) => m.test))], ['iperf3', doc.fio.tests[0]!.id]);
  t.regex(renderReport(doc, 'md', cmp), /## Change since run older\n\nRun older started .*, profile paper \(this run: quick; only points measured in both are compared\)/);
});

test('compare: a container slowed down since the earlier run is worse, with the same statistics; the unchanged host is not', async (t) => {
  const { doc } = await documentFor(t);
  const { doc: slowed } = await documentFor(t, { runId: 'slowed', node: { slowdown: { centos1: 4 } } });
  const cmp = compareRuns(slowed, doc);
  const fio = cmp.medians.filter((m) => m.test !== 'iperf3');
  t.true(fio.filter((m) => m.target === 'host').every((m) => Math.abs(m.changePct!) < 1e-9 && m.verdict === 'noise'));
  const lxc = fio.filter((m) => m.target === 'centos1');
  t.true(lxc.every((m) => m.verdict === 'penalty' || m.verdict === 'noise'), 'slower is never better');
  t.true(lxc.filter((m) => m.verdict === 'penalty').length > lxc.length / 2);
  t.true(lxc.filter((m) => m.metric === 'iops').every((m) => Math.abs(m.changePct! + 75) < 1e-9), 'a quarter of the IOPS');
  const penalties = cmp.penalties.filter((p) => p.test !== 'iperf3');
  t.true(penalties.some((p) => p.verdict === 'penalty') && penalties.every((p) => p.verdict !== 'better'));
  t.regex(renderReport(slowed, 'md', cmp), /\| seqwrite-bs \| 4 KiB \| centos1 \| IOPS \| .* \| (⚠ \*\*)?-75\.00 % \[-?\d+\.\d, -?\d+\.\d\] %(\*\*)? \| (⚠ \*\*worse\*\*|within noise) \|/);
  const swappedHost = cmp.medians.find((m) => m.test === 'iperf3' && m.point === 'forward' && m.target === 'host')!;
  t.is(swappedHost.before, swappedHost.after);
  const csv = renderReport(doc, 'csv', cmp).trimEnd().split('\n');
  t.is(csv[0], CSV_COMPARE_COLUMNS.join(','));
  t.is(csv.length, 1 + cmp.medians.length + cmp.penalties.length);
});

test('exit summary: network rows, penalties surest first, marked with !, with interval and verdict', async (t) => {
  const { doc } = await documentFor(t, FLAGGING);
  const lines = renderPenaltySummary(doc).split('\n');
  t.regex(lines[0]!, /^benchmark node1: run .*, profile quick, 6 rounds of every point, medians; penalty threshold 10 % \(whole 95 % interval beyond it\)$/);
  t.regex(lines[1]!, /test\s+point\s+container\s+metric\s+host\s+LXC\s+penalty\s+interval\s+±\s+verdict/);
  t.true(lines.slice(2, 4).every((l) => /iperf3\s+(forward|reverse)\s+centos1\s+Throughput \(Gbit\/s\)/.test(l)));
  const flaggedRows = lines.filter((l) => l.startsWith('  !') && !l.includes('iperf3'));
  const flagged = doc.penalties.filter((p) => p.flagged && p.test !== 'iperf3');
  t.is(flaggedRows.length, Math.min(10, flagged.length));
  t.true(flaggedRows.every((l) => l.endsWith(' penalty')));
  const lows = flaggedRows.map((l) => Number(/\[(-?\d+\.\d), -?\d+\.\d\] %/.exec(l)![1]));
  t.deepEqual(lows, [...lows].sort((a, b) => b - a));
  t.true(lines.some((l) => l.includes(`${flagged.length} of 48 fio comparisons are penalties beyond 10 %`)));
  t.regex(lines.at(-2)!, /comparisons are within noise/);
  t.regex(lines.at(-1)!, /^  the time budget \(0 s; [\d.]+ s spent\) ran out before \d+ points reached ±10 points: iperf3 forward, /);
});

test('exit summary without a flagged penalty shows the worst one', async (t) => {
  const { doc } = await documentFor(t, { plan: benchPlan({ penaltyThreshold: 100 }) });
  const text = renderPenaltySummary(doc);
  t.regex(text, /no fio penalty beyond 100 % \(48 compared; the largest estimate is shown\)\n/);
  t.false(text.includes('  !'));
});

test('nice axis maxima', (t) => {
  t.deepEqual([0.7, 1, 13, 21, 240, 51_000, 0].map(niceCeiling), [1, 1, 20, 25, 250, 100_000, 1]);
});

test('report args: required host, known formats, unknown flags refused', (t) => {
  t.like(parseReportArgs(['--host', 'node1']), { host: 'node1', format: 'md' });
  t.like(parseReportArgs(['--host', 'node1', '--format', 'html', '--compare', 'previous', '--out', 'r.html']), { format: 'html', compare: 'previous', out: 'r.html' });
  t.throws(() => parseReportArgs([]), { instanceOf: UsageError, message: '--host is required' });
  t.throws(() => parseReportArgs(['--host', 'n', '--format', 'pdf']), { instanceOf: UsageError, message: /expected md, json, csv, html/ });
  t.throws(() => parseReportArgs(['--host', 'n', '--colour']), { instanceOf: UsageError });
  t.true(parseReportArgs(['--help']).help);
});

test('run selection: latest by default, --run, --compare previous, clear errors', async (t) => {
  const { doc, stateDir } = await documentFor(t);
  const older = { ...doc, runId: '2026-11-01T08-00-00Z-0001', startedAt: '2026-11-01T08:00:00.000Z' };
  writeBenchmarkResult(stateDir, older);
  t.is(selectRuns(stateDir, 'node1').doc.runId, doc.runId);
  t.is(selectRuns(stateDir, 'node1', older.runId).doc.runId, older.runId);
  t.is(selectRuns(stateDir, 'node1', undefined, 'previous').base?.runId, older.runId);
  t.throws(() => selectRuns(stateDir, 'node1', older.runId, 'previous'), { instanceOf: UsageError, message: /is the first with benchmark results/ });
  const unknown = t.throws(() => selectRuns(stateDir, 'node1', 'nope'), { instanceOf: UsageError });
  t.regex(unknown.hint ?? '', new RegExp(`runs with results: ${older.runId} .*, ${doc.runId}`));
  t.throws(() => selectRuns(stateDir, 'node1', undefined, doc.runId), { message: /that is the run being reported/ });
  t.throws(() => selectRuns(stateDir, 'node2'), { instanceOf: UsageError, message: /no benchmark results for host node2/ });
});
