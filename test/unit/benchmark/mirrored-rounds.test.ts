// Mirrored rounds (profiles.ts FioTiming.mirrored): every target's fio runs twice per round, in
// the round's order and then back, and its two runs are one sample: what fio would report for
// both together. A drift linear in time then moves every target's mean alike.
import test from 'ava';
import { QUICK_PROFILE, type BenchProfile } from '../../../benchmark/run/profiles.ts';
import { measure } from '../../../benchmark/run/runner.ts';
import { mergeMirroredRuns } from '../../../benchmark/run/fio-runs.ts';
import { parseFio } from '../../../benchmark/run/parse-fio.ts';
import type { FioSample } from '../../../benchmark/results/results.ts';
import { runLine } from '../../../benchmark/report/text.ts';
import { rmSync } from 'node:fs';
import { benchPlan, CAPTURED, fakeBenchNode, quickDocument } from '../../fixtures/bench/fake-node.ts';

/** A target's two captured 500 ms runs of the same point (4 kB random writes at 4 threads, fio 3.33). */
function capturedRuns(source: string): [FioSample, FioSample] {
  const [first, second] = CAPTURED.fio[source]!['randwrite-4k-threads 4']!.map(parseFio);
  return [first!, second!];
}
const [FIRST, SECOND] = capturedRuns('host');

test('two runs of one target are what fio reports for both: rates averaged over the equal time, latency weighted by I/Os', (t) => {
  const merged = mergeMirroredRuns(FIRST, SECOND);
  const w = merged.write;
  t.is(w.ios, FIRST.write.ios + SECOND.write.ios);
  t.is(w.iops, (FIRST.write.iops + SECOND.write.iops) / 2);
  t.is(w.bwBytes, (FIRST.write.bwBytes + SECOND.write.bwBytes) / 2);
  t.is(w.latMeanNs, (FIRST.write.latMeanNs * FIRST.write.ios + SECOND.write.latMeanNs * SECOND.write.ios) / w.ios);
  t.true(w.latMeanNs > Math.min(FIRST.write.latMeanNs, SECOND.write.latMeanNs) && w.latMeanNs < Math.max(FIRST.write.latMeanNs, SECOND.write.latMeanNs));
  // A write test reads nothing: no latency without I/Os.
  t.deepEqual(merged.read, { iops: 0, bwBytes: 0, latMeanNs: 0, ios: 0 });
});

test('a merged round keeps bandwidth equal to IOPS times the block size (one comparison for both)', (t) => {
  const { write } = mergeMirroredRuns(FIRST, SECOND);
  t.true(Math.abs(write.bwBytes - write.iops * 4096) <= 2 + 2e-6 * 4096, `${write.bwBytes} against ${write.iops} × 4096`);
});

const MIRRORED: BenchProfile = {
  ...QUICK_PROFILE,
  repetitions: 3,
  fio: { ...QUICK_PROFILE.fio, mirrored: true },
  fioTests: QUICK_PROFILE.fioTests.filter((f) => f.id === 'randwrite-4k-threads').map((f) => ({ ...f, values: [4] })),
};

test('a mirrored round runs fio in the round\'s order and back, and stores one merged sample per target and round', async (t) => {
  const host = fakeBenchNode({ sources: { centos2: 'host' } });
  const plan = benchPlan({ peer: undefined }, ['centos1', 'centos2']);
  const measured = await measure({ host, plan, log: () => {}, signal: new AbortController().signal }, MIRRORED);
  t.true(measured.fio.mirrored);
  const targetOf = (line: string) => /^lxc-attach -n (\S+) --/.exec(line)?.[1] ?? 'host';
  const runs = host.commands.filter((c) => /(^| )fio --name=randwrite-4k-threads /.test(c)).map(targetOf);
  t.is(measured.order.length, 3);
  t.deepEqual(runs, measured.order.flatMap((order) => [...order, ...[...order].reverse()]), 'each round: its order, then back');
  const points = measured.fio.tests[0]!.points;
  t.deepEqual(points.map((p) => p.samples.length), [3, 3, 3]);
  // The fake node answers each target's runs from its two captured outputs in turn: every round's
  // two runs are the first and the second.
  for (const p of points) {
    const expected = mergeMirroredRuns(...capturedRuns(p.target === 'centos1' ? 'centos1' : 'host'));
    for (const sample of p.samples) t.deepEqual(sample, expected, p.target);
  }
});

test('without mirrored rounds every target runs once per round', async (t) => {
  const host = fakeBenchNode({ sources: { centos2: 'host' } });
  const plan = benchPlan({ peer: undefined }, ['centos1', 'centos2']);
  const measured = await measure({ host, plan, log: () => {}, signal: new AbortController().signal }, { ...MIRRORED, fio: { ...MIRRORED.fio, mirrored: false } });
  t.false(measured.fio.mirrored);
  const runs = host.commands.filter((c) => /(^| )fio --name=randwrite-4k-threads /.test(c));
  t.is(runs.length, 3 * 3);
});

test('the standard profile runs mirrored rounds, and the report\'s run line says how fio ran', async (t) => {
  const { doc, stateDir } = await quickDocument({ plan: benchPlan({ profile: 'standard', repetitions: 3 }) });
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  t.true(doc.fio.mirrored);
  t.is(doc.fio.runtimeMs, 500);
  t.regex(runLine(doc), /in an order drawn at random: [^)]*; fio twice per round, 500 ms each, in that order and back; medians shown\)/);
  const { doc: quick, stateDir: quickDir } = await quickDocument({ plan: benchPlan({ repetitions: 3 }) });
  t.teardown(() => rmSync(quickDir, { recursive: true, force: true }));
  t.false(quick.fio.mirrored);
  t.notRegex(runLine(quick), /fio twice/);
});
