// The statistics of the verdicts on fixed samples. Expected values computed independently with
// scipy 1.17.1 (python3): stats.t.ppf for the quantiles, and for the intervals
// stats.ttest_ind(log(lxc), log(host), equal_var=False).confidence_interval(0.95), exponentiated,
// with its df (the Welch–Satterthwaite degrees of freedom).
import test from 'ava';
import { gateFailures } from '../../../benchmark/stats/gate.ts';
import { studentTCdf, studentTQuantile } from '../../../benchmark/stats/student-t.ts';
import { compareSamples, verdictOf, welchLogContrast, welchLogRatio } from '../../../benchmark/stats/verdict.ts';
import { benchPlan, quickDocument } from '../../fixtures/bench/fake-node.ts';
import { rmSync } from 'node:fs';

function near(actual: number, expected: number, relative = 1e-9): boolean {
  return Math.abs(actual - expected) <= relative * Math.abs(expected);
}

test('Student t quantiles match scipy.stats.t.ppf, for whole and fractional degrees of freedom', (t) => {
  const cases: [number, number, number][] = [
    [0.975, 1, 12.706204736174694], [0.975, 2, 4.302652729749462], [0.975, 2.5, 3.5746548420036817],
    [0.975, 6, 2.4469118511449786], [0.975, 30, 2.0422724563012378], [0.995, 3.7, 4.8692522532278275], [0.9, 1.2, 2.586717387950133],
  ];
  for (const [p, df, expected] of cases) {
    t.true(near(studentTQuantile(p, df), expected), `t(${p}, ${df}) = ${studentTQuantile(p, df)}, scipy ${expected}`);
    t.true(near(studentTQuantile(1 - p, df), -expected), 'symmetric');
    t.true(Math.abs(studentTCdf(expected, df) - p) < 1e-12);
  }
  t.is(studentTQuantile(0.5, 3), 0);
  t.throws(() => studentTQuantile(1, 3), { instanceOf: RangeError });
  t.throws(() => studentTQuantile(0.9, 0), { instanceOf: RangeError });
});

const SCIPY: { name: string; host: number[]; lxc: number[]; ratio: number; low: number; high: number; df: number }[] = [
  { name: 'a 20 % drop, 1 % spread, 2 repetitions', host: [10000, 10100], lxc: [8000, 8080], ratio: 0.8000000000000007, low: 0.7761443287853357, high: 0.8245889021718421, df: 1.9999999999999996 },
  { name: 'the issue\'s seqwrite 64 KiB: 15 % lower, host spread 13.7 %', host: [13126, 15056], lxc: [11800, 12048], ratio: 0.8481594008260129, low: 0.382997182681801, high: 1.8782758770505283, df: 1.04595149562313 },
  { name: '4 repetitions, unequal spreads', host: [100, 104, 97, 101], lxc: [80, 90, 85, 70], ratio: 0.8052500374749333, low: 0.6822616463832911, high: 0.9504090201914972, df: 3.4240926853550895 },
  { name: '3 against 5 repetitions', host: [5.1, 5.3, 4.9], lxc: [4.0, 4.4, 4.1, 3.9, 4.2], ratio: 0.8075598322490727, low: 0.7462593637385806, high: 0.8738957450329611, df: 4.999900647296143 },
];

for (const c of SCIPY) {
  test(`Welch interval of the log-ratio as scipy computes it: ${c.name}`, (t) => {
    const r = welchLogRatio(c.host, c.lxc)!;
    t.true(near(r.ratio, c.ratio), `ratio ${r.ratio}`);
    t.true(near(r.low, c.low, 1e-8), `low ${r.low}`);
    t.true(near(r.high, c.high, 1e-8), `high ${r.high}`);
    t.true(near(r.df!, c.df, 1e-8), `df ${r.df}`);
  });
}

test('a real 20 % drop with tight repetitions is a penalty, in IOPS and in latency', (t) => {
  // Paired by round: the ratios 0.8 and 0.81; the t interval on their logs with 1 degree of
  // freedom, half-width t(0.975, 1) · |ln 0.8 − ln 0.81| / 2 (scipy: t.ppf(0.975, 1) = 12.706204736174698).
  const iops = compareSamples('iops', [10000, 10100], [8000, 8181], 10);
  t.is(iops.verdict, 'penalty');
  const mean = (Math.log(0.8) + Math.log(0.81)) / 2;
  const half = 12.706204736174698 * Math.abs(Math.log(0.8) - Math.log(0.81)) / 2;
  t.true(near(iops.pct!, (1 - Math.exp(mean)) * 100, 1e-9));
  t.true(near(iops.ci!.low, (1 - Math.exp(mean + half)) * 100, 1e-8) && near(iops.ci!.high, (1 - Math.exp(mean - half)) * 100, 1e-8));
  const latency = compareSamples('latency', [100, 101], [125, 126.25], 10);
  t.is(latency.verdict, 'penalty');
  t.true(near(latency.pct!, 25, 1e-12));
});

test('a 15 % difference with 14 % spread is within noise, and says how wide its interval is', (t) => {
  const c = compareSamples('iops', [13126, 15056], [11800, 12048], 10);
  t.is(c.verdict, 'noise');
  t.true(near(c.pct!, (1 - 0.8481594008260129) * 100, 1e-9));
  t.true(c.ci!.low < 0 && c.ci!.high > 10, `[${c.ci!.low}, ${c.ci!.high}]`);
});

test('verdicts: penalty, minor, noise, better; the bounds themselves', (t) => {
  t.is(verdictOf({ low: 10.01, high: 30 }, 10), 'penalty');
  t.is(verdictOf({ low: 10, high: 30 }, 10), 'noise', 'an interval that reaches the threshold is not past it');
  t.is(verdictOf({ low: 2, high: 10 }, 10), 'minor');
  t.is(verdictOf({ low: -1, high: 5 }, 10), 'noise');
  t.is(verdictOf({ low: -9, high: -0.5 }, 10), 'better');
  t.is(compareSamples('iops', [1000, 1010, 990, 1005], [950, 955, 948, 952], 10).verdict, 'minor', 'a tight 5 % loss is real but below 10 %');
  t.is(compareSamples('throughput', [9.4e9, 9.41e9], [9.9e9, 9.91e9], 10).verdict, 'better');
});

test('nothing to compare: a zero, or a single repetition; identical samples have a zero-width interval', (t) => {
  t.deepEqual(compareSamples('latency', [0, 10], [5, 6], 10), { pct: null, ci: null, verdict: 'n/a' });
  t.deepEqual(compareSamples('iops', [10], [5, 6], 10), { pct: null, ci: null, verdict: 'n/a' });
  const same = compareSamples('iops', [100, 100], [50, 50], 10);
  t.is(same.verdict, 'penalty');
  t.true(near(same.pct!, 50, 1e-12) && same.ci!.low === same.ci!.high && near(same.ci!.low, 50, 1e-12));
  t.is(welchLogRatio([100, 100], [50, 50])!.df, null);
});

test('a ratio of ratios (report --compare) pools all four groups', (t) => {
  const a = [10000, 10100];
  const b = [8000, 8080];
  const r = welchLogContrast([{ values: b, sign: 1 }, { values: a, sign: -1 }, { values: b, sign: -1 }, { values: a, sign: 1 }])!;
  t.true(near(r.ratio, 1, 1e-12));
  // Four groups with the same log-variance s²/2 (s = ln 1.01 / √2): variance 2 s², df 4; so the
  // half-width is t(0.975, 4) · ln 1.01 (scipy: t.ppf(0.975, 4) = 2.7764451051977934).
  t.true(near(r.df!, 4, 1e-9));
  t.true(near(Math.log(r.high), 2.7764451051977934 * Math.log(1.01), 1e-8));
  t.true(near(Math.log(r.low), -2.7764451051977934 * Math.log(1.01), 1e-8));
});

test('the gate fails only the points whose whole interval is past benchmark.maxPenalty of their family', async (t) => {
  const { doc, stateDir } = await quickDocument({ plan: benchPlan({ maxPenalty: { iops: 20, latency: 1000 } }), node: { slowdown: { centos1: 2 } } });
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const failures = gateFailures(doc);
  t.true(failures.length > 0);
  t.true(failures.every((p) => p.metric === 'iops' && p.ci!.low > 20));
  const iopsPenalties = doc.penalties.filter((p) => p.metric === 'iops' && p.ci !== null && p.ci.low > 20);
  t.deepEqual(failures, iopsPenalties);
  t.true(doc.penalties.some((p) => p.metric === 'iops' && p.verdict === 'noise' && p.penaltyPct! > 20), 'a large estimate within noise does not fail the gate');
  const { doc: aa, stateDir: aaDir } = await quickDocument({ plan: benchPlan({ maxPenalty: { network: 0, iops: 0, bandwidth: 0, latency: 0 } }) });
  t.teardown(() => rmSync(aaDir, { recursive: true, force: true }));
  t.deepEqual(gateFailures(aa), [], 'the captured A/A run passes even a gate of 0 %');
});
