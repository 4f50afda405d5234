// Turns at a shared iperf3 peer: calls for one peer never overlap and run in call order, a
// failure ends its turn, other peers do not wait.
import test from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { inPeerTurn } from '../../../benchmark/run/peer-turns.ts';

function recorder() {
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const run = (name: string, ms: number, fail = false) => async () => {
    running += 1;
    most = Math.max(most, running);
    events.push(`${name} start`);
    await delay(ms);
    events.push(`${name} end`);
    running -= 1;
    if (fail) throw new Error(`${name} failed`);
    return name;
  };
  return { events, run, most: () => most };
}

test('calls for one peer run one at a time, in call order, and return their results', async (t) => {
  const r = recorder();
  const results = await Promise.all([
    inPeerTurn('10.0.0.1', r.run('a', 30)),
    inPeerTurn('10.0.0.1', r.run('b', 5)),
    inPeerTurn('10.0.0.1', r.run('c', 10)),
  ]);
  t.deepEqual(results, ['a', 'b', 'c']);
  t.deepEqual(r.events, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  t.is(r.most(), 1);
});

test('a failed call ends its turn: the next one runs, the error reaches its caller', async (t) => {
  const r = recorder();
  const failing = inPeerTurn('10.0.0.2', r.run('a', 10, true));
  const next = inPeerTurn('10.0.0.2', r.run('b', 5));
  await t.throwsAsync(failing, { message: 'a failed' });
  t.is(await next, 'b');
  t.deepEqual(r.events, ['a start', 'a end', 'b start', 'b end']);
});

test('different peers do not wait for each other', async (t) => {
  const r = recorder();
  await Promise.all([inPeerTurn('10.0.0.3', r.run('a', 30)), inPeerTurn('10.0.0.4', r.run('b', 5))]);
  t.deepEqual(r.events, ['a start', 'b start', 'b end', 'a end']);
  t.is(r.most(), 2);
});
