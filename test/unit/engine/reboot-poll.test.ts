// The reboot poll's two paces (engine/reboot.ts waitForNewBoot) read off the probe times of a node that
// reboots on a clock of its own: slow while it still answers, 0.05 s once it is down, one deadline.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { TransportError } from '../../../core/errors.ts';
import { RebootTimeoutError, waitForNewBoot } from '../../../engine/reboot.ts';
import type { RetryPolicy } from '../../../core/retry.ts';
import { FakeHost } from '../../helpers/fake-host.ts';

/**
 * A node going through a reboot on a clock of its own: up with the old boot id for `upPolls`
 * probes, then down (connections refused) until `downForMs` has passed, then up with a new id.
 * Records when each probe came and what it was, so the poll schedule can be read afterwards.
 */
class RebootingNode extends FakeHost {
  readonly oldId = randomUUID();
  readonly newId = randomUUID();
  probes: { at: number; answer: 'old' | 'down' | 'new' }[] = [];
  wentDownAt: number | undefined;
  readonly upPolls: number;
  readonly downForMs: number;
  constructor(upPolls: number, downForMs: number) {
    super('node1');
    this.upPolls = upPolls;
    this.downForMs = downForMs;
    this.on(['true'], {});
  }
  override async bootId(): Promise<string> {
    const at = Date.now();
    if (this.probes.length < this.upPolls) {
      this.probes.push({ at, answer: 'old' });
      return this.oldId;
    }
    this.wentDownAt ??= at;
    if (at - this.wentDownAt < this.downForMs) {
      this.probes.push({ at, answer: 'down' });
      throw new TransportError('connect ECONNREFUSED 127.0.0.1:22');
    }
    this.probes.push({ at, answer: 'new' });
    return this.newId;
  }
}

function gaps(probes: readonly { at: number }[]): number[] {
  return probes.slice(1).map((p, i) => p.at - probes[i]!.at);
}

// Slow enough that the two paces cannot be confused on a loaded machine: while the node still
// answers, polls at least 1 s apart (p-retry randomises 1-2x); once it is down, 0.05 s.
const POLICY: RetryPolicy = { retries: 10_000, minTimeout: 1000, maxTimeout: 1000, maxRetryTime: 60_000 };

test('while the node still answers with its old boot the polls keep the policy\'s pace; once it is down they come every 0.05 s', async (t) => {
  const node = new RebootingNode(3, 1500);
  const attempts: number[] = [];
  const id = await waitForNewBoot(node, node.oldId, POLICY, (info) => attempts.push(info.attempt));
  t.is(id, node.newId);
  const up = node.probes.filter((p) => p.answer === 'old');
  const downAndBack = node.probes.slice(up.length);
  t.is(up.length, 3);
  // The probe that found the node down is one of the policy's; every one after it is a fast one.
  for (const gap of gaps(node.probes.slice(0, up.length + 1))) t.true(gap >= 950, `an up-phase gap of ${gap} ms`) // timers may fire a ms early by Date.now();
  const fast = gaps(downAndBack);
  t.true(fast.length >= 5, `${fast.length} probes while down for 1.5 s`);
  for (const gap of fast) t.true(gap < 900, `a down-phase gap of ${gap} ms (the policy's would be >= 1000)`);
  // The wait's title counts polls across both phases (the one that found the node down fails nothing).
  t.deepEqual(attempts, [...attempts].sort((a, b) => a - b));
  t.is(attempts.at(-1), node.probes.length - 1);
});

test('a node that is back with a new boot before a poll ever found it down is taken at once', async (t) => {
  const node = new RebootingNode(2, 0);
  const id = await waitForNewBoot(node, node.oldId, POLICY);
  t.is(id, node.newId);
  t.deepEqual(
    node.probes.map((p) => p.answer),
    ['old', 'old', 'new'],
  );
});

test('the whole wait, both phases, stays within the policy\'s time: a node that stays down times out naming it', async (t) => {
  // Two polls with the old boot take 1-2 s of the 3 s; the down phase gets what is left, not 3 s more.
  const node = new RebootingNode(2, 60_000);
  const started = Date.now();
  const error = await t.throwsAsync(waitForNewBoot(node, node.oldId, { retries: 10_000, minTimeout: 500, maxTimeout: 500, maxRetryTime: 3000 }), {
    instanceOf: RebootTimeoutError,
  });
  const elapsed = Date.now() - started;
  t.regex(error!.message, /node1 did not come back from the reboot within \d+ s \(connect ECONNREFUSED/);
  t.true(elapsed < 3800, `gave up after ${elapsed} ms (a fresh budget for the down phase: at least 4000)`);
  t.true(node.probes.filter((p) => p.answer === 'down').length >= 5);
});

test('no poll before the node can go down (the reboot\'s delay): the first comes after it, the node still answering then is polled at the policy\'s pace', async (t) => {
  const node = new RebootingNode(1, 300);
  const started = Date.now();
  const id = await waitForNewBoot(node, node.oldId, POLICY, undefined, undefined, started + 1500);
  t.is(id, node.newId);
  t.true(node.probes[0]!.at - started >= 1490, `first probe ${node.probes[0]!.at - started} ms after the start`);
  t.deepEqual([...new Set(node.probes.map((p) => p.answer))], ['old', 'down', 'new']);
});

test('a stop while waiting for the node to go down rejects with the signal\'s reason, at once', async (t) => {
  const node = new RebootingNode(1, 300);
  const stop = new AbortController();
  setTimeout(() => stop.abort(new Error('stopped by SIGTERM')), 100);
  const started = Date.now();
  await t.throwsAsync(waitForNewBoot(node, node.oldId, POLICY, undefined, stop.signal, started + 5000), { message: 'stopped by SIGTERM' });
  t.true(Date.now() - started < 1000);
  t.deepEqual(node.probes, []);
});

test('nodes that are down are polled on one grid: a node that went down 17 ms after another is asked in the same instants, not 17 ms later each time', async (t) => {
  const first = new RebootingNode(1, 800);
  const second = new RebootingNode(1, 800);
  const fast: RetryPolicy = { retries: 10_000, minTimeout: 100, maxTimeout: 100, maxRetryTime: 60_000 };
  const waits = [waitForNewBoot(first, first.oldId, fast)];
  await new Promise((resolve) => setTimeout(resolve, 17));
  waits.push(waitForNewBoot(second, second.oldId, fast));
  await Promise.all(waits);
  // The polls after each node's first refused one come from the grid's timers.
  const downPolls = (node: RebootingNode) => node.probes.filter((p) => p.answer !== 'old').slice(1).map((p) => p.at);
  const firsts = downPolls(first);
  const seconds = downPolls(second);
  const together = seconds.filter((at) => firsts.some((other) => Math.abs(other - at) <= 3));
  t.true(seconds.length >= 8, `${seconds.length} polls of the second node while it was down`);
  // Timers on a loaded machine fire late, both alike: most, not every, poll pairs up.
  t.true(together.length >= seconds.length / 2, `${together.length} of ${seconds.length} polls of the second node within 3 ms of one of the first's`);
});

test('a stop while the node is down rejects with the signal\'s reason, at once, and polls no more', async (t) => {
  const node = new RebootingNode(1, 60_000);
  const stop = new AbortController();
  const wait = waitForNewBoot(node, node.oldId, POLICY, undefined, stop.signal);
  while (!node.probes.some((p) => p.answer === 'down')) await new Promise((resolve) => setTimeout(resolve, 10));
  const stoppedAt = Date.now();
  stop.abort(new Error('stopped by SIGINT'));
  await t.throwsAsync(wait, { message: 'stopped by SIGINT' });
  t.true(Date.now() - stoppedAt < 500);
  const polled = node.probes.length;
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.is(node.probes.length, polled);
});
