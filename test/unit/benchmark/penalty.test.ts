// Penalty arithmetic and summary statistics on known numbers. The paper's Table 1 and 2 lost their
// cells in our copy; its text keeps the percentages, reproduced here from host/LXC pairs that give
// them exactly.
import test from 'ava';
import { penaltyPercent } from '../../../benchmark/stats/penalty.ts';
import { median, summarize } from '../../../benchmark/stats/stats.ts';

function close(actual: number | null, expected: number): boolean {
  return actual !== null && Math.abs(actual - expected) < 1e-9;
}

test('Table 1, 32 kB random read: 47.90 % fewer IOPS, 47.94 % less bandwidth, 91.94 % higher latency', (t) => {
  t.true(close(penaltyPercent('iops', 100_000, 52_100), 47.9));
  t.true(close(penaltyPercent('bw', 3200, 1665.92), 47.94));
  t.true(close(penaltyPercent('latency', 1000, 1919.4), 91.94));
});

test('Table 2, sequential write: 19.66 % lower IOPS, 19.64 % lower bandwidth, 24.02 % higher latency', (t) => {
  t.true(close(penaltyPercent('iops', 50_000, 40_170), 19.66));
  t.true(close(penaltyPercent('bw', 250, 200.9), 19.64));
  t.true(close(penaltyPercent('latency', 20, 24.804), 24.02));
});

test('a container that does better has a negative penalty, in every direction', (t) => {
  t.true(close(penaltyPercent('iops', 1000, 1100), -10));
  t.true(close(penaltyPercent('throughput', 9.41e9, 9.43e9), -((0.02e9 / 9.41e9) * 100)));
  t.true(close(penaltyPercent('latency', 100, 80), -20));
});

test('no baseline, no penalty', (t) => {
  t.is(penaltyPercent('iops', 0, 10), null);
});

test('median of odd and even counts', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.throws(() => median([]), { message: /no values/ });
});

test('summary: spread is (max - min) / median, MAD the median absolute deviation', (t) => {
  t.deepEqual(summarize([100, 90, 110, 105]), { n: 4, median: 102.5, min: 90, max: 110, spread: 20 / 102.5, mad: 5 });
  t.deepEqual(summarize([0, 0]), { n: 2, median: 0, min: 0, max: 0, spread: 0, mad: 0 });
});
