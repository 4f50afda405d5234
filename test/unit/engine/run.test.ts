import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ExecResult, Host } from '../../../hosts/host.ts';
import { CheckpointStore, openCheckpoint, readCheckpoint } from '../../../state/checkpoint.ts';
import { Journal, readJournal } from '../../../state/journal.ts';
import { checkpointPath } from '../../../state/state-dir.ts';
import { stableHash } from '../../../state/hash.ts';
import type { Stage } from '../../../engine/stage.ts';
import { CommandError, FatalError, InterruptedError, NotReadyError, TransportError } from '../../../core/errors.ts';
import { runWorkflow, type WorkflowOptions } from '../../../engine/run.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { LocalHost } from '../../../hosts/local.ts';
import { ObservingHost, observe } from '../../../hosts/observing-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { acquireNodeLock, NODE_LOCK_DIR } from '../../../engine/node-lock.ts';
import type { HostPlan } from '../../../inventory/plan.ts';

/** A node that keeps a set of facts, counts applies and gets a new boot_id when rebooted. */
class TestNode implements Host {
  readonly name = 'node1';
  facts = new Set<string>();
  applied: string[] = [];
  bootIdValue = randomUUID();
  /** Whether a reboot request really reboots (false: the "reboot never happened" case). */
  rebootWorks = true;
  rebootsIssued = 0;
  /** Fail the next N bootId() calls with a connection error. */
  dropNext = 0;
  roundTrips = 0;
  async exec(argv: readonly string[]): Promise<ExecResult> {
    this.roundTrips += 1;
    if (argv[0] === 'sh' && argv.join(' ').includes('reboot')) {
      this.rebootsIssued += 1;
      if (this.rebootWorks) this.bootIdValue = randomUUID();
    }
    return { code: 0, stdout: '', stderr: '' };
  }
  async run(argv: readonly string[]) {
    return this.exec(argv);
  }
  async readFile(_path: string): Promise<string | undefined> {
    return undefined;
  }
  async writeFile() {}
  async upload() {}
  async bootId() {
    if (this.dropNext > 0) {
      this.dropNext -= 1;
      throw new TransportError('connect ECONNREFUSED');
    }
    return this.bootIdValue;
  }
  async disconnect() {}
  async close() {}
}

/** The test's node under the engine's ObservingHost. */
const nodeOf = (host: Host): TestNode => (host instanceof ObservingHost ? host.inner : host) as TestNode;

/** A stage that makes `fact` true on the node; `fail` makes apply throw once. */
function factStage(id: string, opts: { fail?: () => Error | undefined; reboots?: boolean; input?: () => unknown } = {}): Stage {
  return {
    id,
    title: `stage ${id}`,
    reboots: opts.reboots,
    inputs: () => (opts.input ? opts.input() : id),
    async check(ctx) {
      const node = nodeOf(ctx.host);
      return node.facts.has(id) ? { done: true, reason: `${id} is there` } : { done: false, plan: [`make ${id}`] };
    },
    async apply(ctx) {
      const node = nodeOf(ctx.host);
      const error = opts.fail?.();
      if (error) throw error;
      node.applied.push(id);
      node.facts.add(id);
    },
    async verify(ctx) {
      const node = nodeOf(ctx.host);
      if (!node.facts.has(id)) throw new FatalError(`${id} missing`);
      return { [id]: true };
    },
  };
}

const PLAN = parseInventory('hosts:\n  node1: { address: 127.0.0.1, pfs: [{ name: eth0, vfs: 1 }] }\n', '/tmp/inventory.yaml').hosts;
const FAST = {
  stage: { retries: 3, minTimeout: 1, maxTimeout: 2 },
  settle: { retries: 5, minTimeout: 1, maxTimeout: 2 },
  rebootReturn: { retries: 50, minTimeout: 1, maxTimeout: 2, maxRetryTime: 2000 },
};

function baseOptions(stateDir: string, stages: Stage[], node: TestNode): WorkflowOptions {
  return {
    plans: PLAN,
    workflow: { stages },
    stateDir,
    runId: randomUUID(),
    selection: {},
    dryRun: false,
    concurrency: 4,
    renderer: 'silent',
    timings: FAST,
    rebootBudget: 2,
    signal: new AbortController().signal,
    openHost: () => node,
    command: 'test',
    warn: () => {},
  };
}

function setup(t: { teardown: (fn: () => void) => void }, stages: Stage[], node = new TestNode()) {
  const stateDir = mkdtempSync(join(tmpdir(), 'sriov-engine-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const run = (extra: Partial<WorkflowOptions> = {}) => runWorkflow({ ...baseOptions(stateDir, stages, node), ...extra }).then((r) => r[0]!);
  const stageStatus = (id: string) => readCheckpoint(stateDir, 'node1')?.stages[id]?.status;
  return { node, stateDir, run, stageStatus };
}

test('a fresh node: every stage applied once, in order, then done', async (t) => {
  const { node, run, stageStatus } = setup(t, [factStage('a'), factStage('b'), factStage('c')]);
  const result = await run();
  t.is(result.status, 'ok');
  t.deepEqual(node.applied, ['a', 'b', 'c']);
  t.deepEqual(result.stages.map((s) => [s.id, s.status, s.changed]), [['a', 'done', true], ['b', 'done', true], ['c', 'done', true]]);
  t.is(stageStatus('c'), 'done');
  t.deepEqual(result.outputs, { a: { a: true }, b: { b: true }, c: { c: true } });
});

test('a check that finds the stage done with its outputs: verify is not run, the outputs are checkpointed', async (t) => {
  let verifies = 0;
  const observed: Stage = {
    ...factStage('a'),
    async check() {
      return { done: true, reason: 'a is there', outputs: { seen: 'by check' } };
    },
    async verify() {
      verifies += 1;
      return { seen: 'by verify' };
    },
  };
  const { node, run, stateDir } = setup(t, [observed, factStage('b')]);
  node.facts.add('b');
  const result = await run();
  t.is(result.status, 'ok');
  t.is(verifies, 0);
  t.deepEqual(result.outputs, { a: { seen: 'by check' }, b: { b: true } }, 'b, whose check gives no outputs, was verified');
  t.deepEqual(readCheckpoint(stateDir, 'node1')?.stages.a?.outputs, { seen: 'by check' });
});

test('a second run changes nothing and says why each stage is done', async (t) => {
  const { node, run } = setup(t, [factStage('a'), factStage('b')]);
  await run();
  node.applied = [];
  const second = await run();
  t.deepEqual(node.applied, []);
  t.deepEqual(second.stages.map((s) => [s.status, s.changed, s.reason]), [['done', false, 'a is there'], ['done', false, 'b is there']]);
});

test('a no-op run writes its records of the stages found done once, at its end, before it reports', async (t) => {
  // Stage c's check reads the file while the run is under way: a and b's records of this run are not there yet.
  const seenDuringRun: (string | undefined)[] = [];
  let stateDirOf = '';
  const peek: Stage = {
    ...factStage('c'),
    async check(ctx) {
      const onDisk = readCheckpoint(stateDirOf, 'node1')!;
      seenDuringRun.push(onDisk.runId, onDisk.stages.a?.finishedAt);
      return factStage('c').check(ctx);
    },
  };
  const { node, run, stateDir } = setup(t, [factStage('a'), factStage('b'), peek]);
  stateDirOf = stateDir;
  await run({ runId: 'run-1' });
  const first = readCheckpoint(stateDir, 'node1')!;
  node.applied = [];
  seenDuringRun.length = 0;
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = await run({ runId: 'run-2' });
  t.true(second.ok);
  t.deepEqual(node.applied, []);
  t.deepEqual(seenDuringRun, ['run-1', first.stages.a!.finishedAt], 'during the run the file still held the first run');
  const after = readCheckpoint(stateDir, 'node1')!;
  t.is(after.runId, 'run-2');
  for (const id of ['a', 'b', 'c']) {
    t.like(after.stages[id], { status: 'done', changed: false });
    t.not(after.stages[id]!.finishedAt, first.stages[id]!.finishedAt, `${id}: this run's record is on disk`);
  }
});

test.serial('a no-op run whose records cannot be written at its end does not end ok', async (t) => {
  const { run } = setup(t, [factStage('a')]);
  await run();
  const original = CheckpointStore.prototype.flush;
  CheckpointStore.prototype.flush = () => {
    throw noSpace();
  };
  t.teardown(() => {
    CheckpointStore.prototype.flush = original;
  });
  const result = await run();
  t.false(result.ok);
  t.is(result.status, 'failed');
  t.regex(result.error!.message, /the run ended ok — and the stages found done could not be recorded in .*ENOSPC/);
});

test('a failed stage stops the host with the command, exit code, stderr tail and hint; --retry-failed resumes there', async (t) => {
  let broken = true;
  const failing = () => (broken ? new CommandError('make install failed', { command: 'make -C /src install', code: 2, stderrTail: 'error: foo.c:1', hint: 'read the build log' }) : undefined);
  const { node, run, stageStatus, stateDir } = setup(t, [factStage('a'), factStage('b', { fail: failing }), factStage('c')]);
  const failed = await run();
  t.is(failed.status, 'failed');
  t.is(failed.failedStage, 'b');
  t.deepEqual(failed.error, { message: 'make install failed', command: 'make -C /src install', code: 2, stderrTail: 'error: foo.c:1', hint: 'read the build log' });
  t.deepEqual(node.applied, ['a']);
  t.is(stageStatus('b'), 'failed');
  t.is(stageStatus('c'), undefined);
  t.is(readCheckpoint(stateDir, 'node1')?.stages.b?.error?.stderrTail, 'error: foo.c:1');

  broken = false;
  node.applied = [];
  node.facts.delete('a'); // drift in an earlier stage is not touched by --retry-failed
  const retried = await run({ selection: { retryFailed: true } });
  t.is(retried.status, 'ok');
  t.deepEqual(node.applied, ['b', 'c']);
  t.deepEqual(retried.stages.map((s) => [s.id, s.status]), [['a', 'skipped'], ['b', 'done'], ['c', 'done']]);
});

test('--retry-failed re-runs a stage from the one it names (retryFrom): a consumed one-shot is armed again first', async (t) => {
  // b reboots into what a arms once; after b failed, a must run again for b to mean anything.
  let broken = true;
  const b = { ...factStage('b', { fail: () => (broken ? new FatalError('the trial boot did not come up') : undefined) }), retryFrom: 'a' };
  const { node, run } = setup(t, [factStage('a'), b, factStage('c')]);
  t.is((await run()).failedStage, 'b');
  t.deepEqual(node.applied, ['a']);
  broken = false;
  node.applied = [];
  node.facts.delete('a'); // the one-shot was used up by the failed boot
  const retried = await run({ selection: { retryFailed: true } });
  t.is(retried.status, 'ok');
  t.deepEqual(node.applied, ['a', 'b', 'c']);
});

test('--retry-failed on a host without a failed stage does nothing', async (t) => {
  const { node, run } = setup(t, [factStage('a')]);
  await run();
  node.applied = [];
  const result = await run({ selection: { retryFailed: true } });
  t.is(result.status, 'nothing-to-do');
  t.deepEqual(node.applied, []);
});

test('--from and --only choose the stages; --reset forgets checkpoints', async (t) => {
  const { node, run, stageStatus } = setup(t, [factStage('a'), factStage('b'), factStage('c')]);
  const only = await run({ selection: { only: ['b'] } });
  t.deepEqual(node.applied, ['b']);
  t.deepEqual(only.stages.map((s) => s.status), ['skipped', 'done', 'skipped']);
  const from = await run({ selection: { from: 'b' } });
  t.deepEqual(node.applied, ['b', 'c']);
  t.deepEqual(from.stages.map((s) => s.status), ['skipped', 'done', 'done']);
  await run({ reset: ['c'], selection: { only: ['a'] } });
  t.is(stageStatus('c'), undefined);
  t.is(stageStatus('a'), 'done');
});

test('a changed input re-opens that stage and the ones after it', async (t) => {
  let vfs = 8;
  const { node, run, stateDir } = setup(t, [factStage('a'), factStage('b', { input: () => vfs }), factStage('c')]);
  await run();
  vfs = 16;
  node.facts.delete('b');
  node.applied = [];
  // Only the checkpoint is consulted before the run: b and c go back to pending.
  const store = openCheckpoint(stateDir, 'node1', 'x');
  t.is(store.stage('b').status, 'done');
  await run();
  t.deepEqual(node.applied, ['b']);
  t.is(readCheckpoint(stateDir, 'node1')?.stages.c?.status, 'done');
});

test('a crash between "running" and "done" is resolved by check, not by a second apply', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('a')]);
  const store = openCheckpoint(stateDir, 'node1', 'x');
  store.markRunning('a', { inputsHash: stableHash('a') });
  node.facts.add('a'); // the apply had finished on the node when the controller died
  const result = await run();
  t.deepEqual(node.applied, []);
  t.is(result.stages[0]?.status, 'done');
  t.is(result.stages[0]?.changed, false);
});

test('transient errors are retried with the attempts counted; fatal ones are not', async (t) => {
  let drops = 2;
  const flaky = factStage('a', { fail: () => (drops-- > 0 ? new TransportError('read ECONNRESET') : undefined) });
  const { run } = setup(t, [flaky]);
  const result = await run();
  t.is(result.status, 'ok');
  t.is(result.stages[0]?.attempts, 3);

  let calls = 0;
  const fatal = factStage('f', { fail: () => (calls++ >= 0 ? new FatalError('SR-IOV disabled in BIOS') : undefined) });
  const second = setup(t, [fatal]);
  const failed = await second.run();
  t.is(failed.status, 'failed');
  t.is(calls, 1);
});

test('verify is retried while the world settles (NotReady)', async (t) => {
  let settleIn = 3;
  const stage: Stage = {
    ...factStage('vfs'),
    async verify() {
      if (settleIn-- > 0) throw new NotReadyError('VFs not there yet');
      return { vfs: 8 };
    },
  };
  const { run } = setup(t, [stage]);
  const result = await run();
  t.is(result.status, 'ok');
  t.deepEqual(result.outputs.vfs, { vfs: 8 });
});

test('a rebooting stage: one reboot, verify on the new boot, counted in the result', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('cmdline'), factStage('reboot', { reboots: true }), factStage('after')]);
  const before = node.bootIdValue;
  const result = await run();
  t.is(result.status, 'ok');
  t.is(result.reboots, 1);
  t.is(node.rebootsIssued, 1);
  t.not(node.bootIdValue, before);
  const cp = readCheckpoint(stateDir, 'node1')!;
  t.is(cp.stages.reboot?.reboot?.prevBootId, before);
  t.deepEqual(cp.boots.map((b) => b.bootId), [before, node.bootIdValue]);
  const events = readJournal(stateDir, 'node1').entries.filter((e) => e.event === 'reboot-requested' || e.event === 'boot-seen');
  t.like(events, [{ event: 'reboot-requested', stage: 'reboot', prevBootId: before, issued: 1 }, { event: 'boot-seen', stage: 'reboot', bootId: node.bootIdValue }]);
  const again = await run();
  t.is(again.reboots, 0);
  t.is(node.rebootsIssued, 1);
});

test.serial('boot-seen is journalled when the new boot id is read, before the checkpoint\'s fsync\'d write of it', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('reboot', { reboots: true })]);
  const before = node.bootIdValue;
  const recordBoot = CheckpointStore.prototype.recordBoot;
  const journalledFirst: boolean[] = [];
  CheckpointStore.prototype.recordBoot = function (this: CheckpointStore, bootId: string) {
    if (bootId !== before) journalledFirst.push(readJournal(stateDir, 'node1').entries.some((e) => e.event === 'boot-seen' && e.bootId === bootId));
    return recordBoot.call(this, bootId);
  };
  t.teardown(() => (CheckpointStore.prototype.recordBoot = recordBoot));
  t.is((await run()).status, 'ok');
  t.deepEqual(journalledFirst, [true]);
  t.deepEqual(readCheckpoint(stateDir, 'node1')!.boots.map((b) => b.bootId), [before, node.bootIdValue]);
});

test('resume after a controller crash while the node rebooted: straight to verify, no second reboot', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('reboot', { reboots: true })]);
  const store = openCheckpoint(stateDir, 'node1', 'x');
  store.markRunning('reboot', { inputsHash: stableHash('reboot') });
  store.markRebooting('reboot', { prevBootId: node.bootIdValue, expected: 'a kernel command line with intel_iommu=on' });
  node.facts.add('reboot');
  node.bootIdValue = randomUUID(); // the node came back while we were gone
  node.dropNext = 2; // and is still flaky
  const result = await run();
  t.is(result.status, 'ok');
  t.is(node.rebootsIssued, 0);
  t.is(result.reboots, 1);
  t.like(result.stages[0], { status: 'done', changed: true, attempts: 1 });
  const record = readCheckpoint(stateDir, 'node1')?.stages.reboot;
  t.like(record, { status: 'done', changed: true, bootId: node.bootIdValue });
  t.true((record?.durationMs ?? -1) >= 0 && (record?.durationMs ?? Infinity) < 60_000, `durationMs ${record?.durationMs}`);
});

test('resume when the reboot never happened: issued again; past the budget, a diagnosis instead of a loop', async (t) => {
  const { node, run, stateDir, stageStatus } = setup(t, [factStage('reboot', { reboots: true })]);
  node.rebootWorks = false;
  const result = await run({ rebootBudget: 2, timings: { ...FAST, rebootReturn: { retries: 3, minTimeout: 1, maxTimeout: 2, maxRetryTime: 200 } } });
  t.is(result.status, 'rebooting');
  t.regex(result.error?.message ?? '', /did not come back from the reboot/);
  t.is(stageStatus('reboot'), 'rebooting');
  t.regex(readCheckpoint(stateDir, 'node1')?.stages.reboot?.error?.message ?? '', /did not come back from the reboot/, 'the checkpoint says why it is still rebooting');
  t.is(node.rebootsIssued, 1);
  const second = await run({ rebootBudget: 2, timings: { ...FAST, rebootReturn: { retries: 3, minTimeout: 1, maxTimeout: 2, maxRetryTime: 200 } } });
  t.is(node.rebootsIssued, 2);
  t.is(second.status, 'rebooting');
  const third = await run({ rebootBudget: 2 });
  t.is(node.rebootsIssued, 2, 'no third reboot');
  t.is(third.status, 'failed');
  t.regex(third.error?.message ?? '', /already rebooted the node 2 times/);
  t.regex(third.error?.hint ?? '', /--reset reboot/);
  t.truthy(readCheckpoint(stateDir, 'node1'));
});

test('a dry run on a host whose checkpoint says rebooting: no reboot issued, nothing written; the stage is checked as it is', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('reboot', { reboots: true })]);
  const store = openCheckpoint(stateDir, 'node1', 'x');
  store.markRunning('reboot', { inputsHash: stableHash('reboot') });
  store.markRebooting('reboot', { prevBootId: node.bootIdValue, expected: 'a new boot' });
  const before = readFileSync(checkpointPath(stateDir, 'node1'), 'utf8');
  const result = await run({ dryRun: true });
  t.is(node.rebootsIssued, 0);
  t.deepEqual(result.stages.map((s) => s.status), ['would-change']);
  t.is(readFileSync(checkpointPath(stateDir, 'node1'), 'utf8'), before);
});

test('a dry run whose stage fails with nothing before it that would change: failed, and nothing written', async (t) => {
  const failing: Stage = {
    ...factStage('a'),
    async check() {
      throw new FatalError('no NIC');
    },
  };
  const { run, stateDir } = setup(t, [failing]);
  const first = await run({ dryRun: true });
  t.is(first.status, 'failed');
  t.false(existsSync(checkpointPath(stateDir, 'node1')), 'no checkpoint');
});

test('a checkpoint that says rebooting without the boot before it: a diagnosis, not a guess', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('reboot', { reboots: true })]);
  const store = openCheckpoint(stateDir, 'node1', 'x');
  store.markRunning('reboot', { inputsHash: stableHash('reboot') });
  store.update('reboot', { status: 'rebooting' });
  const result = await run();
  t.is(result.status, 'failed');
  t.is(result.error?.message, "checkpoint of reboot is 'rebooting' without the previous boot id");
  t.is(result.error?.hint, 'run with --reset reboot');
  t.is(node.rebootsIssued, 0);
});

test('on the node itself: the checkpoint says rebooting before the boot unit is installed, the reboot comes after it and the run stops; the resumed run verifies and removes the unit', async (t) => {
  const { node, run, stageStatus } = setup(t, [factStage('reboot', { reboots: true }), factStage('after')]);
  const events: string[] = [];
  const localBoot = {
    install: async (host: Host) => {
      events.push(`install on ${host.name}: checkpoint ${stageStatus('reboot')}, ${node.rebootsIssued} reboots issued`);
    },
    remove: async () => {
      events.push('remove');
    },
  };
  const first = await run({ localBoot });
  t.is(first.status, 'rebooting');
  t.false(first.ok);
  t.deepEqual(events, ['install on node1: checkpoint rebooting, 0 reboots issued'], 'the unit stays for the boot that resumes the run');
  t.is(node.rebootsIssued, 1);
  t.deepEqual(node.applied, ['reboot'], 'nothing after the rebooting stage runs in the boot that goes down');
  t.is(stageStatus('reboot'), 'rebooting');
  t.is(stageStatus('after'), undefined);
  // The boot unit runs the same command in the new boot.
  const resumed = await run({ localBoot });
  t.is(resumed.status, 'ok');
  t.is(resumed.reboots, 1);
  t.is(node.rebootsIssued, 1, 'no second reboot');
  t.deepEqual(node.applied, ['reboot', 'after']);
  t.deepEqual(events.slice(1), ['remove']);
});

test('past the reboot budget: the diagnosis names what the stage expects now (else what it expected) and what /proc/cmdline has', async (t) => {
  const CMDLINE = 'BOOT_IMAGE=/vmlinuz-6.1.0-21-amd64 root=/dev/vda1 ro quiet';
  class CmdlineNode extends TestNode {
    cmdline: string | undefined = `${CMDLINE}\n`;
    override async readFile(path: string) {
      return path === '/proc/cmdline' ? this.cmdline : undefined;
    }
  }
  const node = new CmdlineNode();
  node.rebootWorks = false;
  let expects: () => Promise<string> = async () => 'a kernel command line with intel_iommu=on';
  const stage: Stage = { ...factStage('reboot', { reboots: true }), expects: () => expects() };
  const { run, stateDir } = setup(t, [stage], node);
  const quick = { timings: { ...FAST, rebootReturn: { retries: 3, minTimeout: 1, maxTimeout: 2, maxRetryTime: 200 } } };
  t.is((await run(quick)).status, 'rebooting');
  t.is(readCheckpoint(stateDir, 'node1')?.stages.reboot?.reboot?.expected, 'a kernel command line with intel_iommu=on', 'the checkpoint keeps the stage\'s words');
  t.is((await run(quick)).status, 'rebooting');
  expects = async () => 'a kernel command line with intel_iommu=on iommu=pt';
  const now = await run();
  t.is(now.status, 'failed');
  t.is(now.error?.message, `node1: reboot already rebooted the node 2 times without reaching its goal; not rebooting again (expected: a kernel command line with intel_iommu=on iommu=pt; found on the kernel cmdline: ${CMDLINE})`);
  t.is(now.error?.hint, 'look at /proc/cmdline and the bootloader configuration on the node; after fixing, run with --reset reboot to allow new reboots');
  t.is(node.rebootsIssued, 2);

  // The stage cannot say now (its read fails): what it said when it asked for the reboot; no cmdline to read.
  const other = new CmdlineNode();
  other.rebootWorks = false;
  const again = setup(t, [stage], other);
  await again.run(quick);
  await again.run(quick);
  expects = async () => {
    throw new TransportError('connection reset');
  };
  other.cmdline = undefined;
  const recorded = await again.run();
  t.is(recorded.error?.message, 'node1: reboot already rebooted the node 2 times without reaching its goal; not rebooting again (expected: a kernel command line with intel_iommu=on iommu=pt; found on the kernel cmdline: (/proc/cmdline unreadable))');
});

test('a second run against a locked host is refused with who holds it', async (t) => {
  const { run, stateDir } = setup(t, [factStage('a')]);
  const lock = join(stateDir, 'hosts', 'node1', 'lock');
  await run();
  // A live holder on this machine: this test process itself.
  const { acquireLock } = await import('../../../state/lock.ts');
  const release = acquireLock(stateDir, 'node1', { command: 'provision --host node1' });
  t.teardown(release);
  const result = await run();
  t.is(result.status, 'locked');
  t.regex(result.error?.message ?? '', new RegExp(`pid ${process.pid}`));
  t.truthy(readFileSync(lock, 'utf8'));
});

/** A TestNode whose lock scripts run for real, on a lock directory in a temporary directory. */
class LockingNode extends TestNode {
  readonly local = new LocalHost('node1');
  readonly lockDir: string;
  readonly onReboot: () => Promise<void>;
  constructor(lockDir: string, onReboot: () => Promise<void>) {
    super();
    this.lockDir = lockDir;
    this.onReboot = onReboot;
  }
  override async exec(argv: readonly string[]): Promise<ExecResult> {
    if (argv[0] === 'sh' && argv[4] === NODE_LOCK_DIR) return this.local.exec([...argv.slice(0, 4), this.lockDir, ...argv.slice(5)]);
    const result = await super.exec(argv);
    if (argv.join(' ').includes('reboot')) await this.onReboot();
    return result;
  }
}

// Issue 24: a run that lost the node's lock while waiting for the reboot went on beside the new holder.
test('a run whose node lock was taken during the reboot stops on return, naming the new holder', async (t) => {
  const lockDir = join(mkdtempSync(join(tmpdir(), 'sriov-engine-lock-')), 'node.lock');
  t.teardown(() => rmSync(join(lockDir, '..'), { recursive: true, force: true }));
  let announced: string | undefined;
  const node = new LockingNode(lockDir, async () => {
    announced = readFileSync(join(lockDir, 'reboot-until'), 'utf8');
    // Another run removes the lock by hand and takes it while the node is down.
    rmSync(lockDir, { recursive: true });
    await acquireNodeLock(new LocalHost('node1'), { machineId: 'c'.repeat(32), runId: 'intruder', local: false, command: 'provision --host alias', dir: lockDir });
  });
  const { run } = setup(t, [factStage('reboot', { reboots: true }), factStage('after')], node);
  const startedS = Math.floor(Date.now() / 1000);
  const result = await run({ lockNode: true });
  t.is(result.status, 'failed');
  t.regex(result.error?.message ?? '', /no longer holds the node's lock .*: it is held by pid \d+ on .* \(run intruder, machine cccccccccccc/);
  t.deepEqual(node.applied, ['reboot'], 'nothing after the reboot ran');
  // The announced deadline is the node's clock plus the reboot timeout (2 s here).
  const deadline = Number(announced);
  t.true(deadline >= startedS + 2 && deadline <= Math.ceil(Date.now() / 1000) + 2, `reboot-until ${announced}`);
  t.regex(readFileSync(join(lockDir, 'holder'), 'utf8'), /intruder/, 'the new holder keeps its lock');
});

test('a corrupt checkpoint stops the host with a clear error and keeps the file', async (t) => {
  const { run, stateDir } = setup(t, [factStage('a')]);
  await run();
  writeFileSync(checkpointPath(stateDir, 'node1'), '{"schemaVersion": 1, "host": "node1", "stag');
  const result = await run();
  t.is(result.status, 'failed');
  t.regex(result.error?.message ?? '', /checkpoint of node1 .* is unreadable/);
  t.regex(result.error?.hint ?? '', /kept at .*corrupt/);
});

test('--dry-run writes no checkpoint and reports the plan', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('a'), factStage('b')]);
  const result = await run({ dryRun: true });
  t.deepEqual(node.applied, []);
  t.deepEqual(result.stages.map((s) => s.status), ['would-change', 'would-change']);
  t.deepEqual(result.stages[0]?.plan, { done: false, plan: ['make a'] });
  t.is(readCheckpoint(stateDir, 'node1')?.stages.a, undefined);
});

/** A stage whose check needs stage `after` applied first (as the reboot stage needs kernel-cmdline's boot entry). */
function dependentStage(id: string, after: string): Stage {
  return {
    ...factStage(id),
    async check(ctx) {
      const node = nodeOf(ctx.host);
      if (!node.facts.has(after)) throw new FatalError(`${id} cannot go on without ${after}`, { hint: `run ${after} first` });
      return node.facts.has(id) ? { done: true, reason: `${id} is there` } : { done: false, plan: [`make ${id}`] };
    },
  };
}

test('--dry-run: a stage whose check fails because an earlier stage would change is reported as would-change, not failed', async (t) => {
  const { run } = setup(t, [factStage('a'), dependentStage('b', 'a'), factStage('c')]);
  const result = await run({ dryRun: true });
  t.is(result.status, 'ok', JSON.stringify(result.error));
  t.deepEqual(result.stages.map((s) => s.status), ['would-change', 'would-change', 'would-change']);
  t.deepEqual(result.stages[1]?.plan, { done: false, plan: ['to be checked once a is applied (now: b cannot go on without a)'] });
});

test('--dry-run: a stage whose check fails with nothing before it to change fails the host as a real run would', async (t) => {
  const { node, run } = setup(t, [factStage('a'), dependentStage('b', 'x')]);
  node.facts.add('a');
  const result = await run({ dryRun: true });
  t.is(result.status, 'failed');
  t.is(result.failedStage, 'b');
  t.deepEqual(result.stages.map((s) => s.status), ['done', 'failed']);
});

/** Every file under `dir` with its bytes and mtime, and the directories. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = join(entry.parentPath, entry.name);
    const stat = statSync(file);
    out[file] = entry.isFile() ? `${stat.mtimeMs} ${readFileSync(file, 'base64')}` : `${entry.isDirectory() ? 'dir' : 'other'} ${stat.mtimeMs}`;
  }
  return out;
}

test('--dry-run writes nothing in the state dir (checkpoint, journal, lock), and reports from the checkpoint', async (t) => {
  const { node, run, stateDir } = setup(t, [factStage('a'), factStage('b')]);
  await run({ selection: { only: ['a'] } });
  const before = snapshot(stateDir);
  t.true(Object.keys(before).some((f) => f.endsWith('journal.jsonl')));
  node.facts.delete('a');
  const result = await run({ dryRun: true, selection: { retryFailed: true } });
  t.is(result.status, 'nothing-to-do', 'decided from the existing checkpoint: nothing failed');
  t.deepEqual(snapshot(stateDir), before);
});

test('--dry-run works on a read-only state dir (a read-only bind mount), and on one that does not exist', async (t) => {
  const { run, stateDir } = setup(t, [factStage('a'), factStage('b')]);
  await run({ selection: { only: ['a'] } });
  const before = snapshot(stateDir);
  execFileSync('mount', ['--bind', stateDir, stateDir]);
  t.teardown(() => execFileSync('umount', [stateDir]));
  execFileSync('mount', ['-o', 'remount,bind,ro', stateDir]);
  const result = await run({ dryRun: true });
  t.is(result.error, undefined);
  t.deepEqual(result.stages.map((s) => s.status), ['done', 'would-change']);
  t.deepEqual(snapshot(stateDir), before);
  const missing = join(stateDir, 'none');
  const fresh = await runWorkflow({ ...baseOptions(missing, [factStage('a')], new TestNode()), dryRun: true });
  t.deepEqual(fresh[0]!.stages.map((s) => s.status), ['would-change']);
  t.false(existsSync(missing));
});

function noSpace(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

test.serial('a stage failure the state dir cannot record (store and journal throw): the host ends failed, both errors named', async (t) => {
  let full = false;
  const patched = [
    [CheckpointStore.prototype, 'markFailed'],
    [CheckpointStore.prototype, 'update'],
    [Journal.prototype, 'append'],
  ] as const;
  for (const [proto, name] of patched) {
    const methods = proto as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = methods[name]!;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      if (full) throw noSpace();
      return original.apply(this, args);
    };
    t.teardown(() => {
      methods[name] = original;
    });
  }
  const failing = factStage('b', {
    fail: () => {
      full = true;
      return new CommandError('make install failed (exit 2)', { hint: 'see the build log' });
    },
  });
  const { run, stageStatus } = setup(t, [factStage('a'), failing, factStage('c')]);
  const result = await run();
  t.false(result.ok);
  t.is(result.status, 'failed');
  t.is(result.failedStage, 'b');
  t.regex(result.error!.message, /^make install failed \(exit 2\) — and this failure could not be recorded in .*: ENOSPC/);
  t.regex(result.error!.hint!, /see the build log/);
  t.deepEqual(result.stages.map((s) => s.status), ['done', 'failed']);
  t.is(stageStatus('b'), 'running', 'the checkpoint still says what it last could');
});

test.serial('a stage failure on a state dir that fills up (a real full tmpfs): failed, not ok', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sriov-engine-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', stateDir]);
  t.teardown(() => {
    execFileSync('umount', [stateDir]);
    rmSync(stateDir, { recursive: true, force: true });
  });
  const fill = () => {
    const chunk = Buffer.alloc(4096, 1);
    const fd = openSync(join(stateDir, 'filler'), 'a');
    try {
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
  };
  const failing = factStage('b', {
    fail: () => {
      fill();
      return new FatalError('VT-x is disabled in the BIOS');
    },
  });
  const [result] = await runWorkflow({ ...baseOptions(stateDir, [factStage('a'), failing], new TestNode()) });
  t.false(result!.ok);
  t.is(result!.status, 'failed');
  t.is(result!.failedStage, 'b');
  t.regex(result!.error!.message, /VT-x is disabled in the BIOS — and this failure could not be recorded in .*ENOSPC/);
});

test.serial('the end of a run that cannot be journalled: the host does not end ok', async (t) => {
  const original = Journal.prototype.append;
  Journal.prototype.append = function (record) {
    if (record.event === 'run-end') throw noSpace();
    original.call(this, record);
  };
  t.teardown(() => {
    Journal.prototype.append = original;
  });
  const { run } = setup(t, [factStage('a')]);
  const result = await run();
  t.false(result.ok);
  t.is(result.status, 'failed');
  t.regex(result.error!.message, /the run ended ok — and the end of the run could not be recorded in .*ENOSPC/);
});

test('SIGINT/SIGTERM: the current stage finishes, no later stage starts, the checkpoint says where we are', async (t) => {
  const controller = new AbortController();
  const interrupting: Stage = {
    ...factStage('b'),
    async apply(ctx) {
      nodeOf(ctx.host).applied.push('b');
      nodeOf(ctx.host).facts.add('b');
      controller.abort(new InterruptedError('SIGTERM'));
    },
  };
  const { node, run, stageStatus } = setup(t, [factStage('a'), interrupting, factStage('c')]);
  const result = await run({ signal: controller.signal });
  t.deepEqual(node.applied, ['a', 'b']);
  t.is(stageStatus('a'), 'done');
  t.is(stageStatus('b'), 'done', 'the stage in flight finished and was verified');
  t.is(stageStatus('c'), undefined);
  t.false(result.ok);
  t.is(result.status, 'interrupted');
  t.is(result.failedStage, undefined, 'nothing failed');
  t.deepEqual(result.stages.map((s) => s.status), ['done', 'done', 'interrupted']);
  t.is(result.error?.message, 'SIGTERM; stopped before the next step');
  // The next run continues where this one stopped.
  node.applied = [];
  const next = await run();
  t.is(next.status, 'ok');
  t.deepEqual(node.applied, ['c']);
});

test('an interrupt while waiting for the node to come back leaves the checkpoint at rebooting', async (t) => {
  const controller = new AbortController();
  const { node, run, stageStatus } = setup(t, [factStage('reboot', { reboots: true })]);
  node.rebootWorks = false;
  setTimeout(() => controller.abort(new InterruptedError('SIGINT')), 50);
  const result = await run({ signal: controller.signal, timings: { ...FAST, rebootReturn: { retries: 1000, minTimeout: 5, maxTimeout: 5, maxRetryTime: 10_000 } } });
  t.false(result.ok);
  t.is(result.status, 'interrupted');
  t.is(stageStatus('reboot'), 'rebooting');
  t.is(node.rebootsIssued, 1);
});

test('verify that never settles fails the stage once, without re-running apply', async (t) => {
  let verifies = 0;
  const stage: Stage = {
    ...factStage('vfs'),
    async verify() {
      verifies += 1;
      throw new NotReadyError('2 of 4 VFs', { hint: 'check max_vfs' });
    },
  };
  const { node, run } = setup(t, [stage]);
  const result = await run();
  t.is(result.status, 'failed');
  t.deepEqual(node.applied, ['vfs']);
  t.is(verifies, FAST.settle.retries + 1);
  t.regex(result.error?.message ?? '', /2 of 4 VFs \(still so after waiting/);
  t.is(result.error?.hint, 'check max_vfs');
});

test("the workflow's resolvePlan runs once per host before any stage, and the stages see the resolved plan", async (t) => {
  const seen: string[] = [];
  const reading: Stage = {
    ...factStage('a'),
    inputs: (plan) => plan.nic.model,
    async check(ctx) {
      seen.push(`check ${ctx.plan.nic.model}`);
      return { done: true, reason: 'x', outputs: {} };
    },
  };
  const { run } = setup(t, [reading]);
  let resolved = 0;
  const resolvePlan = async (_host: Host, plan: HostPlan): Promise<HostPlan> => {
    resolved += 1;
    return { ...plan, nic: { ...plan.nic, model: 'x710' } };
  };
  const result = await run({ workflow: { stages: [reading], resolvePlan } });
  t.is(result.status, 'ok');
  t.is(resolved, 1);
  t.deepEqual(seen, ['check x710']);
});

// Issue 26: what a run observed of the node is shared by the stages, and never trusted after a
// change: a fact read before apply or a reboot is read again after it.
function speedStage(node: BatchingFakeHost, opts: { reboots?: boolean } = {}): Stage {
  const speed = async (host: Host) => {
    await observe(host, [{ file: '/sys/speed' }]);
    return host.readFile('/sys/speed');
  };
  return {
    id: 'speed',
    title: 'speed',
    reboots: opts.reboots,
    inputs: () => 'speed',
    async check(ctx) {
      return (await speed(ctx.host)) === '10G' ? { done: true, reason: 'at 10G' } : { done: false, plan: ['set 10G'] };
    },
    async apply(ctx) {
      // apply looks at the fact itself, then the node changes in a way no command of ours shows
      // (firmware, a link renegotiating), or at the reboot.
      await speed(ctx.host);
      if (!opts.reboots) node.files.set('/sys/speed', { content: '10G', mode: 0o644 });
    },
    async verify(ctx) {
      const now = await speed(ctx.host);
      if (now !== '10G') throw new FatalError(`still ${now}`);
      return { speed: now };
    },
  };
}

test('a fact observed before apply is read again after it', async (t) => {
  const node = new BatchingFakeHost('node1', { '/sys/speed': '1G' });
  const { run } = setup(t, [speedStage(node)], node as unknown as TestNode);
  const result = await run();
  t.is(result.status, 'ok', JSON.stringify(result.error));
  t.deepEqual(result.outputs, { speed: { speed: '10G' } });
});

test('apply starts from what the check observed an instant ago (no second round trip for it); its first write makes it look again', async (t) => {
  const node = new BatchingFakeHost('node1', { '/sys/speed': '1G' });
  const seen: (string | undefined)[] = [];
  const stage: Stage = {
    ...speedStage(node),
    async apply(ctx) {
      await observe(ctx.host, [{ file: '/sys/speed' }]);
      seen.push(await ctx.host.readFile('/sys/speed'));
      t.is(node.batches.length, 1, 'the check\'s read answered apply');
      // Changed behind the command's back: only a new look sees it.
      node.files.set('/sys/speed', { content: '10G', mode: 0o644 });
      await ctx.host.writeFile('/etc/speed.conf', '10G\n');
      await observe(ctx.host, [{ file: '/sys/speed' }]);
      seen.push(await ctx.host.readFile('/sys/speed'));
    },
  };
  const { run } = setup(t, [stage], node as unknown as TestNode);
  const result = await run();
  t.is(result.status, 'ok', JSON.stringify(result.error));
  t.deepEqual(seen, ['1G', '10G']);
  t.is(node.batches.length, 3, 'check, apply after its write, verify');
});

test('a fact observed before a reboot is read again after it', async (t) => {
  const node = new BatchingFakeHost('node1', { '/sys/speed': '1G' });
  node.on(['sync'], {});
  node.on(['true'], {});
  node.on((argv) => argv[0] === 'sh' && argv.join(' ').includes('reboot'), () => {
    node.currentBootId = randomUUID();
    node.files.set('/sys/speed', { content: '10G', mode: 0o644 });
    return {};
  });
  const { run } = setup(t, [speedStage(node, { reboots: true })], node as unknown as TestNode);
  const result = await run();
  t.is(result.status, 'ok', JSON.stringify(result.error));
  t.is(result.reboots, 1);
  t.deepEqual(result.outputs, { speed: { speed: '10G' } });
});

/** A node at 10G whose lock scripts run for real on a private lock directory. */
function lockedNode(t: { teardown: (fn: () => void) => void }) {
  const node = new BatchingFakeHost('node1', { '/sys/speed': '10G' });
  const lockDir = join(mkdtempSync(join(tmpdir(), 'sriov-engine-lock-')), 'node.lock');
  t.teardown(() => rmSync(join(lockDir, '..'), { recursive: true, force: true }));
  const local = new LocalHost('node1');
  node.on((argv) => argv[0] === 'sh' && argv[4] === NODE_LOCK_DIR, (argv) => local.exec([...argv.slice(0, 4), lockDir, ...argv.slice(5)]));
  // The lock's files read as files (a batch's read of the holder), from the same directory.
  const readFake = node.readFile.bind(node);
  node.readFile = async (path) => (path.startsWith(`${NODE_LOCK_DIR}/`) ? local.readFile(join(lockDir, path.slice(NODE_LOCK_DIR.length + 1))) : readFake(path));
  return { node, lockDir };
}

const lockScripts = (node: BatchingFakeHost) => node.calls.filter((c) => c.kind === 'exec' && c.argv?.[4] === NODE_LOCK_DIR).map((c) => c.argv![2]!.split('\n').at(-1));

test('before apply, the lock is judged from its holder file read with the check\'s batch: no round trip of its own', async (t) => {
  const { node } = lockedNode(t);
  node.files.set('/sys/speed', { content: '1G', mode: 0o644 });
  const { run } = setup(t, [speedStage(node)], node as unknown as TestNode);
  const result = await run({ lockNode: true });
  t.is(result.status, 'ok', JSON.stringify(result.error));
  t.deepEqual(node.batches[0], ['file /sys/speed', `file ${NODE_LOCK_DIR}/holder`], 'the holder went with the check\'s read');
  // Taken, verified once at the end of the run, released: none before apply.
  t.is(lockScripts(node).length, 3, JSON.stringify(lockScripts(node)));
});

/** A stage on a node at 1G whose lock `change` alters during the check: the run's result, and whether apply ran. */
async function lockChangedDuringCheck(t: ExecutionContext, change: (lockDir: string) => Promise<void>) {
  const { node, lockDir } = lockedNode(t);
  node.files.set('/sys/speed', { content: '1G', mode: 0o644 });
  let applied = false;
  const stage: Stage = {
    ...speedStage(node),
    async check(ctx) {
      await change(lockDir);
      return speedStage(node).check(ctx);
    },
    async apply() {
      applied = true;
    },
  };
  const { run } = setup(t, [stage], node as unknown as TestNode);
  return { result: await run({ lockNode: true }), applied };
}

test('a lock another run took during the check stops the stage before apply, naming the holder', async (t) => {
  const { result, applied } = await lockChangedDuringCheck(t, async (lockDir) => {
    rmSync(lockDir, { recursive: true });
    await acquireNodeLock(new LocalHost('node1'), { machineId: 'c'.repeat(32), runId: 'intruder', local: false, command: 'provision --host alias', dir: lockDir });
  });
  t.is(result.status, 'failed');
  t.regex(result.error?.message ?? '', /no longer holds the node's lock .*run intruder/);
  t.false(applied, 'nothing applied');
});

test('a lock removed during the check: the holder file missing stops the stage before apply', async (t) => {
  const { result, applied } = await lockChangedDuringCheck(t, async (lockDir) => rmSync(lockDir, { recursive: true }));
  t.is(result.status, 'failed');
  t.regex(result.error?.message ?? '', /no longer holds the node's lock .*: it was removed/);
  t.false(applied, 'nothing applied');
});

test('a check that sent no batch (all it needed was remembered): the lock is asked on the node before apply', async (t) => {
  const { node } = lockedNode(t);
  node.files.set('/sys/speed', { content: '1G', mode: 0o644 });
  // The first stage observes the speed and finds nothing to do; the second's check reads it from memory.
  const looks: Stage = { ...speedStage(node), id: 'looks', async check(ctx) {
    await observe(ctx.host, [{ file: '/sys/speed' }]);
    return { done: true, reason: 'looked' };
  }, async verify() {
    return {};
  } };
  const { run } = setup(t, [looks, speedStage(node)], node as unknown as TestNode);
  const result = await run({ lockNode: true });
  t.is(result.status, 'ok', JSON.stringify(result.error));
  t.is(lockScripts(node).length, 4, `take, verify before apply, verify at the end, release: ${JSON.stringify(lockScripts(node))}`);
});

test('a no-op run shares observations between stages and asks the node lock once at the end', async (t) => {
  const { node } = lockedNode(t);
  const second = { ...speedStage(node), id: 'speed-again' };
  const { run } = setup(t, [speedStage(node), second], node as unknown as TestNode);
  const result = await run({ lockNode: true });
  t.is(result.status, 'ok', JSON.stringify(result.error));
  t.is(node.batches.length, 1, 'the second stage read what the first observed');
  const lockCalls = node.calls.filter((c) => c.kind === 'exec' && c.argv?.[4] === NODE_LOCK_DIR).length;
  t.is(lockCalls, 3, 'take, verify once at the end, release');
});

test('a no-op run that lost the node lock to another run ends failed, naming the holder', async (t) => {
  const { node, lockDir } = lockedNode(t);
  const stolen: Stage = {
    ...speedStage(node),
    async check(ctx) {
      rmSync(lockDir, { recursive: true });
      await acquireNodeLock(new LocalHost('node1'), { machineId: 'c'.repeat(32), runId: 'intruder', local: false, command: 'provision --host alias', dir: lockDir });
      return speedStage(node).check(ctx);
    },
  };
  const { run } = setup(t, [stolen], node as unknown as TestNode);
  const result = await run({ lockNode: true });
  t.is(result.status, 'failed');
  t.regex(result.error?.message ?? '', /no longer holds the node's lock .*run intruder/);
});
