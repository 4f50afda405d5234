// The order of the targets within a round (benchmark/run/runner.ts roundOrders): a permutation
// drawn at random per round, the same for every point's round of that number. The last test
// shows why not a rotation: a periodic disturbance near four measurements' period, met by the
// lab's A/A check, biases a rotated order and only widens a random one.
import test from 'ava';
import { roundOrders } from '../../../benchmark/run/runner.ts';

test('each round is a permutation of the targets, drawn once and kept for every point', (t) => {
  const orderOf = roundOrders(['host', 'c1', 'c2']);
  const first = orderOf(1);
  t.deepEqual([...first].sort(), ['c1', 'c2', 'host']);
  t.is(orderOf(1), first, 'the same round asked again (the next point) has the same order');
  t.deepEqual([...orderOf(7)].sort(), ['c1', 'c2', 'host']);
  t.is(orderOf(3).length, 3);
});

test('Fisher-Yates with the injected draw: the draws pick the order', (t) => {
  // draw(n) is asked for n = 3, then 2: swap index 2 with draws[0], then index 1 with draws[1].
  const draws = [0, 0, 2, 1];
  const orderOf = roundOrders(['a', 'b', 'c'], () => draws.shift()!);
  t.deepEqual(orderOf(1), ['b', 'c', 'a']); // [a,b,c] → swap 2↔0: [c,b,a] → swap 1↔0: [b,c,a]
  t.deepEqual(orderOf(2), ['a', 'b', 'c']); // swap 2↔2, swap 1↔1: unchanged
});

test('with the real random source every order of three targets comes up, about equally often', (t) => {
  const orderOf = roundOrders(['host', 'c1', 'c2']);
  const counts = new Map<string, number>();
  for (let r = 1; r <= 6000; r++) counts.set(orderOf(r).join(), (counts.get(orderOf(r).join()) ?? 0) + 1);
  t.is(counts.size, 6);
  // 1000 expected each; binomial sd about 29: 850-1150 is beyond 5 sd.
  for (const [order, n] of counts) t.true(n > 850 && n < 1150, `${order}: ${n}`);
});

/**
 * Two targets measured in the given orders, one measurement after the other, each of equal
 * speed, except that a measurement starting within a slow phase of a periodic disturbance (every
 * `period` measurements) is slowed by 30 %. The mean log ratio second/first target over the rounds.
 */
function biasUnder(orders: string[][], period: number): number {
  let clock = 0;
  const logRatios: number[] = [];
  for (const order of orders) {
    const value: Record<string, number> = {};
    for (const target of order) {
      value[target] = clock % period === 0 ? 0.7 : 1;
      clock++;
    }
    logRatios.push(Math.log(value['self']! / value['host']!));
  }
  return logRatios.reduce((a, b) => a + b, 0) / logRatios.length;
}

test('why random: a disturbance every fourth measurement falls on one target of a rotated order, and on either of a random one', (t) => {
  const rounds = 400;
  const rotated = Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? ['host', 'self'] : ['self', 'host']));
  // Rotated (host self | self host | host self …): measurements 0, 4, 8, … open rounds 1, 3, 5, …,
  // which the host always opens: the host is slowed every time, the self never (bias log(1/0.7)/2).
  t.true(Math.abs(biasUnder(rotated, 4)) > 0.15, `rotated: ${biasUnder(rotated, 4)}`);
  const orderOf = roundOrders(['host', 'self']);
  const random = Array.from({ length: rounds }, (_, i) => orderOf(i + 1));
  // Random: either target opens those rounds; the mean log ratio is near 0 (sd of the mean 0.36·√200/400 ≈ 0.013).
  t.true(Math.abs(biasUnder(random, 4)) < 0.06, `random: ${biasUnder(random, 4)}`);
});
