// The paired, adaptive statistics on simulated rounds whose true ratio is known: the intervals
// cover it about as often as they claim, pairing cancels a drift that Welch's unpaired interval
// cannot, and the stopping rule stops at the precision, at the cap, or when the budget is spent.
import test from 'ava';
import { measureAdaptively, type AdaptivePoint } from '../../../benchmark/run/adaptive.ts';
import { halfWidth, pairedLogRatio } from '../../../benchmark/stats/paired.ts';
import { compareSamples, familyConfidence, welchLogRatio } from '../../../benchmark/stats/verdict.ts';
import { plannedComparisons, STANDARD_PROFILE } from '../../../benchmark/run/profiles.ts';
import { normal, uniform, type Sim } from '../../helpers/simulated-rounds.ts';

/** A simulated point: each round draws one drift for both sides and a noise for each. */
function simulatedPoint(sim: Sim, z: () => number) {
  const host: number[] = [];
  const lxc: number[] = [];
  const point: AdaptivePoint = {
    id: 'sim',
    round: async () => {
      const d = sim.drift * z();
      host.push(10_000 * Math.exp(d + sim.noise * z()));
      lxc.push(10_000 * sim.ratio * Math.exp(d + sim.noise * z()));
    },
    halfWidth: () => halfWidth(compareSamples('iops', host, lxc, 10, 0.95, 3)),
  };
  return { host, lxc, point };
}

/** A clock that advances 1 s per round measured. */
function clock(): { now: () => number; tick: () => void } {
  let t = 0;
  return { now: () => t, tick: () => { t += 1000; } };
}

test('paired intervals cover the true ratio about 95 % of the time, fixed rounds and adaptive stopping alike', async (t) => {
  const z = normal(uniform(26));
  const sims: Sim[] = [{ ratio: 1, drift: 0.2, noise: 0.03 }, { ratio: 0.8, drift: 0.05, noise: 0.05 }, { ratio: 0.95, drift: 0.3, noise: 0.02 }];
  for (const sim of sims) {
    let fixed = 0;
    let adaptive = 0;
    const trials = 1000;
    for (let i = 0; i < trials; i++) {
      const f = simulatedPoint(sim, z);
      for (let r = 0; r < 4; r++) await f.point.round(r + 1);
      const rf = pairedLogRatio(f.host, f.lxc, 0.95)!;
      if (rf.low <= sim.ratio && sim.ratio <= rf.high) fixed++;
      const a = simulatedPoint(sim, z);
      await measureAdaptively([a.point], { precision: 2, minRounds: 3, maxRounds: 50, budgetMs: Infinity, now: () => 0 });
      const ra = pairedLogRatio(a.host, a.lxc, 0.95, 3)!;
      if (ra.low <= sim.ratio && sim.ratio <= ra.high) adaptive++;
    }
    t.true(fixed / trials > 0.93 && fixed / trials < 0.97, `${JSON.stringify(sim)}: fixed 4 rounds cover ${fixed / trials}`);
    t.true(adaptive / trials > 0.93, `${JSON.stringify(sim)}: adaptive rounds cover ${adaptive / trials}`);
  }
});

test('the standard profile\'s intervals: at its minimum rounds (iperf3\'s and fio\'s) and its family\'s confidence they miss about 1 time in 320 (0.05/16), fixed and adaptive alike', async (t) => {
  const family = plannedComparisons(STANDARD_PROFILE, 2, true);
  const confidence = familyConfidence(0.95, family);
  const z = normal(uniform(8));
  const trials = 3000;
  t.true(STANDARD_PROFILE.fioRepetitions > STANDARD_PROFILE.repetitions);
  for (const [minRounds, sim] of [STANDARD_PROFILE.repetitions, STANDARD_PROFILE.fioRepetitions].flatMap((m) => [{ ratio: 0.8, drift: 0.1, noise: 0.02 }, { ratio: 1, drift: 0.3, noise: 0.08 }].map((sim) => [m, sim] as const))) {
    let missedFixed = 0;
    let missedAdaptive = 0;
    let missedEach = 0;
    for (let i = 0; i < trials; i++) {
      const f = simulatedPoint(sim, z);
      for (let r = 0; r < minRounds; r++) await f.point.round(r + 1);
      const covers = (c: number) => {
        const r = pairedLogRatio(f.host, f.lxc, c)!;
        return r.low <= sim.ratio && sim.ratio <= r.high;
      };
      if (!covers(confidence)) missedFixed++;
      if (!covers(0.95)) missedEach++;
      const a = simulatedPoint(sim, z);
      const point = { ...a.point, halfWidth: () => halfWidth(compareSamples('iops', a.host, a.lxc, 10, confidence, minRounds)) };
      await measureAdaptively([point], { precision: STANDARD_PROFILE.precision, minRounds, maxRounds: 50, budgetMs: Infinity, now: () => 0 });
      const ra = pairedLogRatio(a.host, a.lxc, confidence, minRounds)!;
      if (!(ra.low <= sim.ratio && sim.ratio <= ra.high)) missedAdaptive++;
    }
    // Expected misses: trials · 0.05/16 = 9.4; 24 or more has a chance of 0.005 % (Poisson).
    t.log(`${JSON.stringify(sim)}: ${minRounds} rounds at ${confidence.toFixed(5)} missed ${missedFixed} of ${trials}, adaptive ${missedAdaptive}; at 95 % ${missedEach}`);
    t.is(family, 16);
    t.true(missedFixed < 24 && missedAdaptive < 24, `${missedFixed}, ${missedAdaptive}`);
    t.true(missedEach / trials > 0.035 && missedEach / trials < 0.065, `95 %: ${missedEach / trials}`);
  }
});

test('pairing cancels a drift between rounds that Welch\'s unpaired interval cannot', (t) => {
  const z = normal(uniform(7));
  const sim = { ratio: 0.8, drift: 0.2, noise: 0.01 };
  const host: number[] = [];
  const lxc: number[] = [];
  for (let r = 0; r < 6; r++) {
    const d = sim.drift * z();
    host.push(1000 * Math.exp(d + sim.noise * z()));
    lxc.push(800 * Math.exp(d + sim.noise * z()));
  }
  const paired = pairedLogRatio(host, lxc, 0.95)!;
  const welch = welchLogRatio(host, lxc)!;
  t.true(paired.high - paired.low < (welch.high - welch.low) / 5, `paired [${paired.low}, ${paired.high}], Welch [${welch.low}, ${welch.high}]`);
  t.is(compareSamples('iops', host, lxc, 10).verdict, 'penalty');
});

test('the stopping rule: at the minimum rounds when already precise; more rounds until precise; the cap', async (t) => {
  const z = normal(uniform(3));
  const quiet = simulatedPoint({ ratio: 0.9, drift: 0.1, noise: 0 }, z);
  const calm = await measureAdaptively([quiet.point], { precision: 5, minRounds: 3, maxRounds: 50, budgetMs: Infinity, now: () => 0 });
  t.deepEqual(calm, { spentMs: 0, imprecise: [], budgetExhausted: false, rounds: { sim: 3 } });

  const noisy = simulatedPoint({ ratio: 0.9, drift: 0.1, noise: 0.015 }, z);
  const out = await measureAdaptively([noisy.point], { precision: 2, minRounds: 3, maxRounds: 50, budgetMs: Infinity, now: () => 0 });
  // Decided once from the first 3 rounds: 3 · (their half-width / (0.9 · precision))² rounds in all.
  const first = halfWidth(compareSamples('iops', noisy.host.slice(0, 3), noisy.lxc.slice(0, 3), 10, 0.95, 3));
  t.is(out.rounds.sim, Math.min(50, Math.ceil(3 * (first / 1.8) ** 2)));
  const c = compareSamples('iops', noisy.host, noisy.lxc, 10, 0.95, 3);
  t.true(out.rounds.sim! > 3 && halfWidth(c) <= 2, `${out.rounds.sim} rounds, ±${halfWidth(c)}`);
  t.deepEqual(out.imprecise, []);

  const hopeless = simulatedPoint({ ratio: 0.9, drift: 0, noise: 0.5 }, z);
  const capped = await measureAdaptively([hopeless.point], { precision: 0.1, minRounds: 3, maxRounds: 10, budgetMs: Infinity, now: () => 0 });
  t.deepEqual(capped, { spentMs: 0, imprecise: ['sim'], budgetExhausted: false, rounds: { sim: 10 } });
});

test('the stopping rule: a point\'s own minimum rounds (the standard profile\'s fio points) are its first stage; the run\'s the others\'', async (t) => {
  const z = normal(uniform(5));
  const quiet = (id: string, minRounds?: number) => {
    const p = simulatedPoint({ ratio: 0.9, drift: 0.1, noise: 0 }, z);
    return { ...p.point, id, ...(minRounds === undefined ? {} : { minRounds }) };
  };
  const calm = await measureAdaptively([quiet('iperf3'), quiet('fio', 8)], { precision: 5, minRounds: 3, maxRounds: 50, budgetMs: 0, now: () => 0 });
  t.deepEqual(calm.rounds, { iperf3: 3, fio: 8 }, 'taken even with no budget left');

  // The target is decided from the point's own first stage: its minimum · (half-width / (0.9 · precision))².
  const noisy = simulatedPoint({ ratio: 0.9, drift: 0.1, noise: 0.015 }, z);
  const out = await measureAdaptively([{ ...noisy.point, minRounds: 6 }], { precision: 1.5, minRounds: 3, maxRounds: 50, budgetMs: Infinity, now: () => 0 });
  const first = halfWidth(compareSamples('iops', noisy.host.slice(0, 6), noisy.lxc.slice(0, 6), 10, 0.95, 3));
  t.is(out.rounds.sim, Math.min(50, Math.max(6, Math.ceil(6 * (first / 1.35) ** 2))));
  t.true(out.rounds.sim! > 6, `${out.rounds.sim} rounds`);
});

test('the stopping rule: the budget ends the rounds and is reported; the minimum rounds are always taken', async (t) => {
  const z = normal(uniform(11));
  const c = clock();
  const mk = (id: string) => {
    const p = simulatedPoint({ ratio: 0.9, drift: 0, noise: 0.2 }, z);
    return { ...p.point, id, round: async (r: number) => { c.tick(); await p.point.round(r); } };
  };
  const points = [mk('a'), mk('b')];
  const out = await measureAdaptively(points, { precision: 0.5, minRounds: 3, maxRounds: 50, budgetMs: 10_000, now: c.now });
  // 6 rounds at 1 s each, then passes of one round per point while one more fits in 10 s.
  t.deepEqual(out.rounds, { a: 5, b: 5 });
  t.is(out.spentMs, 10_000);
  t.true(out.budgetExhausted);
  t.deepEqual(out.imprecise, ['a', 'b']);

  const none = await measureAdaptively([mk('c')], { precision: 0.5, minRounds: 3, maxRounds: 50, budgetMs: 0, now: c.now });
  t.deepEqual(none.rounds, { c: 3 }, 'a budget of 0: the minimum rounds only');
  t.true(none.budgetExhausted);
});

test('the A/A check stays honest: the host against itself, paired, flags nothing in 200 simulated runs of 40 points', (t) => {
  const z = normal(uniform(99));
  let flagged = 0;
  for (let run = 0; run < 200; run++) {
    for (let p = 0; p < 40; p++) {
      const host: number[] = [];
      const again: number[] = [];
      for (let r = 0; r < 3; r++) {
        const d = 0.2 * z();
        host.push(5000 * Math.exp(d + 0.05 * z()));
        again.push(5000 * Math.exp(d + 0.05 * z()));
      }
      if (compareSamples('iops', host, again, 10).verdict === 'penalty') flagged++;
    }
  }
  t.is(flagged, 0);
});
