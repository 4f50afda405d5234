// runWorkflow over several hosts: each host ends (closed, counted, journalled) when its own run
// ends, so --max-fail-percent stops starting hosts after the first failure and --serial runs
// batches one after the other.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservingHost } from '../../../hosts/observing-host.ts';
import { readJournal } from '../../../state/journal.ts';
import type { Stage } from '../../../engine/stage.ts';
import { CommandError } from '../../../core/errors.ts';
import { runWorkflow, type WorkflowOptions } from '../../../engine/run.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { FakeHost } from '../../helpers/fake-host.ts';

/** A node that runs every command (exit 0, nothing printed); a test breaks one. */
class FleetNode extends FakeHost {
  broken = false;
  constructor(name: string) {
    super(name);
    this.on(() => true, {});
  }
  get closed(): boolean {
    return this.calls.some((c) => c.kind === 'close');
  }
}

/** One stage that fails on a broken node, and records the order in which hosts ran it. */
function buildStage(order: string[]): Stage {
  return {
    id: 'build',
    title: 'build',
    inputs: () => 'build',
    async check() {
      return { done: false, plan: ['build'] };
    },
    async apply(ctx) {
      order.push(ctx.host.name);
      if (((ctx.host instanceof ObservingHost ? ctx.host.inner : ctx.host) as FleetNode).broken) throw new CommandError('make failed', { command: 'make', code: 2 });
    },
    async verify() {
      return {};
    },
  };
}

const INVENTORY = ['hosts:', ...['n1', 'n2', 'n3'].map((n, i) => `  ${n}: { address: 127.0.0.${i + 1}, pfs: [{ name: eth0, vfs: 1 }] }`)].join('\n');
const PLANS = parseInventory(`${INVENTORY}\n`, '/tmp/inventory.yaml').hosts;
const FAST = {
  stage: { retries: 0, minTimeout: 1, maxTimeout: 1 },
  settle: { retries: 0, minTimeout: 1, maxTimeout: 1 },
  rebootReturn: { retries: 0, minTimeout: 1, maxTimeout: 1 },
};

function fleet(t: { teardown: (fn: () => void) => void }) {
  const stateDir = mkdtempSync(join(tmpdir(), 'sriov-fleet-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const nodes = new Map(PLANS.map((p) => [p.name, new FleetNode(p.name)]));
  const order: string[] = [];
  const run = (extra: Partial<WorkflowOptions> = {}) =>
    runWorkflow({
      plans: PLANS,
      workflow: { stages: [buildStage(order)] },
      stateDir,
      runId: randomUUID(),
      selection: {},
      dryRun: false,
      concurrency: 1,
      renderer: 'silent',
      timings: FAST,
      rebootBudget: 1,
      signal: new AbortController().signal,
      openHost: (plan) => nodes.get(plan.name)!,
      command: 'test',
      warn: () => {},
      ...extra,
    });
  return { stateDir, nodes, order, run };
}

test('--max-fail-percent 0: after the first host fails, no new host starts', async (t) => {
  const { nodes, order, run } = fleet(t);
  nodes.get('n1')!.broken = true;
  const results = await run({ maxFailPercent: 0 });
  t.deepEqual(order, ['n1']);
  t.deepEqual(results.map((r) => [r.host, r.status, r.failedStage ?? '-']), [['n1', 'failed', 'build'], ['n2', 'not-started', '-'], ['n3', 'not-started', '-']]);
  t.true(nodes.get('n1')!.closed);
});

test('--max-fail-percent 50: one failure of three is within it, every host runs', async (t) => {
  const { nodes, order, run } = fleet(t);
  nodes.get('n1')!.broken = true;
  const results = await run({ maxFailPercent: 50 });
  t.deepEqual(order, ['n1', 'n2', 'n3']);
  t.deepEqual(results.map((r) => r.status), ['failed', 'ok', 'ok']);
});

test('without --max-fail-percent a failed host does not stop the others', async (t) => {
  const { nodes, run } = fleet(t);
  nodes.get('n2')!.broken = true;
  t.deepEqual((await run({ concurrency: 3 })).map((r) => r.status), ['ok', 'failed', 'ok']);
});

test('each host is closed and its run-end journalled when its own run ends; --serial 1 runs one host at a time', async (t) => {
  const { stateDir, nodes, run } = fleet(t);
  nodes.get('n3')!.broken = true;
  await run({ serial: 1, concurrency: 8 });
  const spans = PLANS.map((p) => {
    const events = readJournal(stateDir, p.name).entries;
    const start = events.find((e) => e.event === 'run-start')!;
    const end = events.find((e) => e.event === 'run-end')!;
    return { host: p.name, start: Date.parse(start.ts), end: Date.parse(end.ts), status: end.status };
  });
  t.deepEqual(spans.map((s) => s.status), ['ok', 'ok', 'failed']);
  for (let i = 1; i < spans.length; i++) t.true(spans[i]!.start >= spans[i - 1]!.end, `${spans[i]!.host} started after ${spans[i - 1]!.host} ended`);
  t.true([...nodes.values()].every((n) => n.closed));
});

test('an interrupt during the first host: it stops at its next boundary, interrupted; the hosts after it are not started', async (t) => {
  const { nodes, order, run } = fleet(t);
  const controller = new AbortController();
  const interrupting = buildStage(order);
  const stopAfterN1: Stage = {
    ...interrupting,
    async apply(ctx) {
      await interrupting.apply(ctx);
      controller.abort(new Error('interrupted by SIGTERM'));
    },
  };
  const results = await run({ workflow: { stages: [stopAfterN1, { ...buildStage([]), id: 'after' }] }, signal: controller.signal });
  t.deepEqual(order, ['n1']);
  t.deepEqual(results.map((r) => [r.host, r.status, r.stages.map((s) => s.status).join(',')]), [
    ['n1', 'interrupted', 'done,interrupted'],
    ['n2', 'not-started', ''],
    ['n3', 'not-started', ''],
  ]);
  t.true(nodes.get('n1')!.closed);
});
