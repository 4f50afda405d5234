// The run's verdicts as a family, on simulated runs whose true ratios are known: the paired
// intervals at the family's confidence (Bonferroni over the run's comparisons) all cover their
// ratios at once about 95 % of the time or more, so a run flags a point that is not past the
// threshold at most 1 time in 40; the same intervals at 95 % each do not; and a real 20 % penalty
// is still found, with the adaptive rounds, among 100 comparisons.
import test from 'ava';
import { measureAdaptively, type AdaptivePoint } from '../../../benchmark/run/adaptive.ts';
import { comparisonCount, computePenalties } from '../../../benchmark/stats/analysis.ts';
import { halfWidth, pairedLogRatio } from '../../../benchmark/stats/paired.ts';
import { compareSamples, familyConfidence } from '../../../benchmark/stats/verdict.ts';
import { normal, uniform, type Sim } from '../../helpers/simulated-rounds.ts';

const MIN_ROUNDS = 6;
const THRESHOLD = 10;

/** One simulated point of a run of `family` comparisons, its rounds decided as the runner decides them. */
function simulatedPoint(sim: Sim, z: () => number, family: number, id: string) {
  const host: number[] = [];
  const lxc: number[] = [];
  const confidence = familyConfidence(0.95, family);
  const point: AdaptivePoint = {
    id,
    round: async () => {
      const d = sim.drift * z();
      host.push(10_000 * Math.exp(d + sim.noise * z()));
      lxc.push(10_000 * sim.ratio * Math.exp(d + sim.noise * z()));
    },
    halfWidth: () => halfWidth(compareSamples('iops', host, lxc, THRESHOLD, confidence, MIN_ROUNDS)),
  };
  return { host, lxc, point, confidence };
}

/** A run of `sims.length` points measured adaptively to ±precision (no time budget, at most 50 rounds). */
async function simulatedRun(sims: readonly Sim[], z: () => number, precision: number) {
  const points = sims.map((sim, i) => ({ sim, ...simulatedPoint(sim, z, sims.length, `p${i}`) }));
  await measureAdaptively(points.map((p) => p.point), { precision, minRounds: MIN_ROUNDS, maxRounds: 50, budgetMs: Infinity, now: () => 0 });
  return points;
}

/** Noises like the lab's: drift that pairing cancels, and per-measurement noise from 1 % to 8 %. */
function mixedNoise(i: number): Pick<Sim, 'drift' | 'noise'> {
  return { drift: [0.02, 0.2, 0.3][i % 3]!, noise: [0.01, 0.03, 0.05, 0.08][i % 4]! };
}

test('a run\'s intervals at the family\'s confidence all cover their true ratios at once in >= 95 % of runs; at 95 % each they do not', async (t) => {
  const z = normal(uniform(2026));
  const runs = 300;
  const family = 20;
  let allCover = 0;
  let allCoverEach = 0;
  for (let run = 0; run < runs; run++) {
    const sims = Array.from({ length: family }, (_, i): Sim => ({ ratio: [1, 0.8, 0.95, 1.1][i % 4]!, ...mixedNoise(i) }));
    const points = await simulatedRun(sims, z, 5);
    const covers = (confidence: number) => points.every((p) => {
      const r = pairedLogRatio(p.host, p.lxc, confidence, MIN_ROUNDS)!;
      return r.low <= p.sim.ratio && p.sim.ratio <= r.high;
    });
    if (covers(familyConfidence(0.95, family))) allCover++;
    if (covers(0.95)) allCoverEach++;
  }
  t.log(`all ${family} intervals covered in ${allCover} of ${runs} runs at the family's confidence, ${allCoverEach} at 95 % each`);
  t.true(allCover / runs >= 0.93, `family: ${allCover / runs}`);
  t.true(allCoverEach / runs < 0.6, `95 % each: ${allCoverEach / runs}`);
});

test('the run\'s family-wise false-flag rate: points exactly at the threshold are flagged in <= 2.5 % of runs; at 95 % each, in most runs', async (t) => {
  const z = normal(uniform(40));
  const runs = 400;
  const family = 50;
  let flaggedRuns = 0;
  let flaggedRunsEach = 0;
  for (let run = 0; run < runs; run++) {
    // Every point's true penalty is the threshold itself: the worst case for a false flag.
    const sims = Array.from({ length: family }, (_, i): Sim => ({ ratio: 1 - THRESHOLD / 100, ...mixedNoise(i) }));
    const points = await simulatedRun(sims, z, 5);
    if (points.some((p) => compareSamples('iops', p.host, p.lxc, THRESHOLD, p.confidence, MIN_ROUNDS).verdict === 'penalty')) flaggedRuns++;
    if (points.some((p) => compareSamples('iops', p.host, p.lxc, THRESHOLD, 0.95, MIN_ROUNDS).verdict === 'penalty')) flaggedRunsEach++;
  }
  t.log(`runs with a false penalty: ${flaggedRuns} of ${runs} (family), ${flaggedRunsEach} of ${runs} (95 % each)`);
  t.true(flaggedRuns / runs <= 0.035, `family: ${flaggedRuns / runs}`);
  t.true(flaggedRunsEach / runs > 0.5, `95 % each: ${flaggedRunsEach / runs}`);
});

test('A/A: the host against itself, 1,000 simulated runs of 50 comparisons, flags nothing', async (t) => {
  const z = normal(uniform(7));
  let flagged = 0;
  let decided = 0;
  for (let run = 0; run < 1000; run++) {
    const sims = Array.from({ length: 50 }, (_, i): Sim => ({ ratio: 1, ...mixedNoise(i) }));
    for (const p of await simulatedRun(sims, z, 10)) {
      const verdict = compareSamples('iops', p.host, p.lxc, THRESHOLD, p.confidence, MIN_ROUNDS).verdict;
      if (verdict === 'penalty') flagged++;
      if (verdict !== 'noise') decided++;
    }
  }
  t.is(flagged, 0);
  t.true(decided <= 0.05 * 1000, `${decided} minor or better verdicts in 50,000 comparisons`);
});

test('power: a 20 % penalty among 100 comparisons is flagged in >= 95 % of runs once the rounds reach ±5 points; the unthrottled container is not', async (t) => {
  const z = normal(uniform(20));
  const runs = 200;
  let found = 0;
  let falseFlags = 0;
  const rounds: number[] = [];
  for (let run = 0; run < runs; run++) {
    // c1's iperf3 forward is 20 % slower; c2 and the other 98 comparisons are not.
    const sims = Array.from({ length: 100 }, (_, i): Sim => ({ ratio: i === 0 ? 0.8 : 1, drift: 0.2, noise: 0.03 }));
    const points = await simulatedRun(sims, z, 5);
    const verdicts = points.map((p) => compareSamples('throughput', p.host, p.lxc, THRESHOLD, p.confidence, MIN_ROUNDS).verdict);
    if (verdicts[0] === 'penalty') found++;
    falseFlags += verdicts.slice(1).filter((v) => v === 'penalty').length;
    rounds.push(points[0]!.host.length);
  }
  rounds.sort((a, b) => a - b);
  t.log(`20 % flagged in ${found} of ${runs} runs; rounds ${rounds[0]} to ${rounds.at(-1)} (median ${rounds[runs / 2]}); false flags ${falseFlags}`);
  t.true(found / runs >= 0.95, `power ${found / runs}`);
  t.is(falseFlags, 0);
});

test('the analysis counts the run\'s comparisons and takes each verdict at the family\'s confidence', (t) => {
  const z = normal(uniform(5));
  const samples = (ratio: number) => Array.from({ length: MIN_ROUNDS }, () => ({ receivedBps: 9e9 * ratio * Math.exp(0.02 * z()), sentBps: 9e9, retransmits: 0 }));
  const host = { forward: samples(1), reverse: samples(1) };
  const runs = (target: string, ratio: number) => (['forward', 'reverse'] as const).map((direction) => ({
    target, direction, samples: target === 'host' ? host[direction] : samples(ratio),
  }));
  const doc = {
    targets: ['host', 'c1', 'c2'], penaltyThreshold: THRESHOLD, confidence: 0.95, repetitions: MIN_ROUNDS,
    iperf3: { status: 'ran' as const, peer: '10.0.0.1', omit: 0, time: 1, runs: [...runs('host', 1), ...runs('c1', 0.85), ...runs('c2', 1)] },
    fio: { directory: '/srv/bench', direct: true, runtimeMs: 500, rampMs: 0, sizeBytes: 1, tests: [] },
  };
  t.is(comparisonCount(doc), 4);
  const penalties = computePenalties(doc);
  t.is(penalties.length, 4);
  for (const p of penalties) {
    const values = (target: string) => doc.iperf3.runs.find((r) => r.target === target && r.direction === p.point)!.samples.map((s) => s.receivedBps);
    const expected = compareSamples('throughput', values('host'), values(p.container), THRESHOLD, familyConfidence(0.95, 4), MIN_ROUNDS);
    t.deepEqual({ pct: p.penaltyPct, ci: p.ci, verdict: p.verdict }, expected);
  }
  // 0.95 each would be narrower: the family's interval is what the run reports.
  const c1 = penalties.find((p) => p.container === 'c1' && p.point === 'forward')!;
  const each = compareSamples('throughput', doc.iperf3.runs[0]!.samples.map((s) => s.receivedBps), doc.iperf3.runs[2]!.samples.map((s) => s.receivedBps), THRESHOLD, 0.95, MIN_ROUNDS);
  t.true(c1.ci!.high - c1.ci!.low > each.ci!.high - each.ci!.low);
});

test('familyConfidence: Bonferroni over the comparisons, never above the run\'s confidence for one', (t) => {
  t.is(familyConfidence(0.95, 1), 0.95);
  t.is(familyConfidence(0.95, 0), 0.95);
  t.true(Math.abs(familyConfidence(0.95, 100) - 0.9995) < 1e-12);
});
