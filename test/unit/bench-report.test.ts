// Report rendering over documents that the stage's apply made from captured fio/iperf3 outputs.
import { rmSync } from 'node:fs';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { compareRuns } from '../../tasks/benchmark/report/compare.ts';
import { CSV_COLUMNS, CSV_COMPARE_COLUMNS } from '../../tasks/benchmark/report/csv.ts';
import { CONTAINER_COLORS, HOST_COLOR } from '../../tasks/benchmark/report/html.ts';
import { parseReportArgs } from '../../workflows/cli/report-args.ts';
import { renderReport } from '../../tasks/benchmark/report/render.ts';
import { selectRuns } from '../../workflows/cli/report-select.ts';
import { FLAG_COLOR, niceCeiling } from '../../tasks/benchmark/report/svg.ts';
import type { BenchmarkDocument } from '../../tasks/benchmark/results.ts';
import { writeBenchmarkResult } from '../../tasks/benchmark/store.ts';
import { renderPenaltySummary } from '../../tasks/benchmark/summary.ts';
import { UsageError } from '../../core/errors.ts';
import { benchPlan, quickDocument } from '../fixtures/bench/fake-node.ts';

async function documentFor(t: ExecutionContext, options: Parameters<typeof quickDocument>[0] = {}): Promise<{ doc: BenchmarkDocument; stateDir: string }> {
  const made = await quickDocument(options);
  t.teardown(() => rmSync(made.stateDir, { recursive: true, force: true }));
  return made;
}

const FLAGGING = { plan: benchPlan({ penaltyThreshold: 5 }) };

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
    'Block', 'IOPS (host)', 'IOPS (LXC)', 'IOPS penalty', 'BW (MB/s, host)', 'BW (MB/s, LXC)', 'BW penalty',
    'Latency (µs, host)', 'Latency (µs, LXC)', 'Latency penalty', 'Spread IOPS (host / LXC)',
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
});

test('markdown: flagged penalties are listed at the top and marked in the tables', async (t) => {
  const { doc } = await documentFor(t, FLAGGING);
  const flagged = doc.penalties.filter((p) => p.flagged);
  const md = renderReport(doc, 'md');
  t.true(md.includes(`**⚠ ${flagged.length} penalties beyond 5 %:**`));
  const marked = md.split('\n').filter((l) => l.startsWith('| ')).join('\n').match(/⚠ \*\*-?\d+\.\d\d %\*\*/g) ?? [];
  t.is(marked.length, flagged.length);
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
  for (const r of parsed) t.is(r[col('flagged')], String(Number(r[col('penalty_pct')]) > 5));
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
  t.true(same.medians.every((m) => m.changePct === 0 && m.better === null));
  const older: BenchmarkDocument = { ...doc, runId: 'older', profile: 'paper', fio: { ...doc.fio, tests: doc.fio.tests.slice(0, 1) } };
  const cmp = compareRuns(doc, older);
  t.false(cmp.sameProfile);
  t.deepEqual([...new Set(cmp.medians.map((m) => m.test))], ['iperf3', doc.fio.tests[0]!.id]);
  t.regex(renderReport(doc, 'md', cmp), /## Change since run older\n\nRun older started .*, profile paper \(this run: quick; only points measured in both are compared\)/);
});

test('compare: swapped host and container samples turn gains into losses', async (t) => {
  const { doc } = await documentFor(t);
  const { doc: swapped } = await documentFor(t, { runId: 'swapped', node: { sources: { host: 'centos1', centos1: 'host' } } });
  const cmp = compareRuns(doc, swapped);
  const host = cmp.medians.find((m) => m.test === 'iperf3' && m.point === 'forward' && m.target === 'host')!;
  const lxc = cmp.medians.find((m) => m.test === 'iperf3' && m.point === 'forward' && m.target === 'centos1')!;
  t.is(host.before, lxc.after);
  t.is(host.better, host.after > host.before);
  const csv = renderReport(doc, 'csv', cmp).trimEnd().split('\n');
  t.is(csv[0], CSV_COMPARE_COLUMNS.join(','));
  t.is(csv.length, 1 + cmp.medians.length + cmp.penalties.length);
});

test('exit summary: network rows, flagged fio rows worst first, marked with !', async (t) => {
  const { doc } = await documentFor(t, FLAGGING);
  const lines = renderPenaltySummary(doc).split('\n');
  t.regex(lines[0]!, /^benchmark node1: run .*, profile quick, 2 repetitions, medians; penalty threshold 5 %$/);
  t.regex(lines[1]!, /test\s+point\s+container\s+metric\s+host\s+LXC\s+penalty/);
  t.true(lines.slice(2, 4).every((l) => /iperf3\s+(forward|reverse)\s+centos1\s+Throughput \(Gbit\/s\)/.test(l)));
  const flaggedRows = lines.filter((l) => l.startsWith('  !') && !l.includes('iperf3'));
  const flagged = doc.penalties.filter((p) => p.flagged && p.test !== 'iperf3');
  t.is(flaggedRows.length, Math.min(10, flagged.length));
  const pcts = flaggedRows.map((l) => Number(/(-?\d+\.\d\d) %$/.exec(l)![1]));
  t.deepEqual(pcts, [...pcts].sort((a, b) => b - a));
  t.regex(lines.at(-1)!, new RegExp(`${flagged.length} of 48 fio penalties beyond 5 %`));
});

test('exit summary without a flagged penalty shows the worst one', async (t) => {
  const { doc } = await documentFor(t, { plan: benchPlan({ penaltyThreshold: 100 }) });
  const text = renderPenaltySummary(doc);
  t.regex(text, /no fio penalty beyond 100 % \(48 compared; the worst is shown\)$/);
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
