// Runs a workflow over the selected hosts as a listr2 tree (host → stages): locks, checkpoints,
// concurrency, rolling batches, the fail-percent brake, and the result of every host.
import { hostname } from 'node:os';
import { Listr, type DefaultRenderer, type ListrTask, type ListrTaskWrapper, type SimpleRenderer } from 'listr2';
import type { Host } from '../hosts/host.ts';
import { ObservingHost } from '../hosts/observing-host.ts';
import { openCheckpoint, viewCheckpoint, type CheckpointStore } from '../state/checkpoint.ts';
import { stableHash } from '../state/hash.ts';
import { Journal } from '../state/journal.ts';
import { acquireLock } from '../state/lock.ts';
import type { StageError } from '../state/types.ts';
import type { Workflow } from './stage.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { LockedError } from '../core/errors.ts';
import { printable } from '../core/terminal-text.ts';
import { controllerMachineId } from './machine-id.ts';
import { acquireNodeLock, HEARTBEAT_EVERY_MS, NodeLockLostError, type NodeLock } from './node-lock.ts';
import { HostRun, toStageError, unrecordedError, type StageOutcome, type StageUi } from './host-run.ts';
import { retryTransient, type RetryTimings } from '../core/retry.ts';
import type { Selection } from './select.ts';

export type HostStatus = 'ok' | 'failed' | 'locked' | 'not-started' | 'rebooting' | 'nothing-to-do' | 'interrupted';

export interface HostResult {
  host: string;
  ok: boolean;
  status: HostStatus;
  reboots: number;
  durationMs: number;
  failedStage?: string;
  error?: StageError;
  stages: StageOutcome[];
  outputs: Record<string, unknown>;
  /** SSH round trips (commands run) for this host in this run. */
  roundTrips?: number;
  /** Connection attempts to this host that failed before a command started (each retried or reported). */
  connectFailures?: number;
  /** SSH connections established to this host in this run. */
  connections?: number;
}

export interface WorkflowOptions {
  plans: readonly HostPlan[];
  /** The workflow's definition (workflows/): its stages and its plan resolution. */
  workflow: Workflow;
  stateDir: string;
  runId: string;
  selection: Selection;
  /** Stage ids to forget before running, or ['*']. */
  reset?: readonly string[];
  dryRun: boolean;
  concurrency: number;
  serial?: number;
  maxFailPercent?: number;
  renderer: 'default' | 'simple' | 'verbose' | 'silent';
  timings: RetryTimings;
  rebootBudget: number;
  signal: AbortSignal;
  openHost: (plan: HostPlan) => Host;
  allowVfResize?: boolean;
  /** --adopt: container-create may take an existing container it did not create. */
  adopt?: boolean;
  /** On-node mode: installs the resume boot unit before a reboot; removes it when the run ends. */
  localBoot?: { install: (host: Host) => Promise<void>; remove: (host: Host) => Promise<void> };
  /** Take the lock on the node too (node-lock.ts), for the run; the CLI does. */
  lockNode?: boolean;
  /** The command line, for the lock file. */
  command: string;
  warn: (message: string) => void;
}

interface HostState {
  plan: HostPlan;
  result: HostResult;
  started: number;
  host?: Host;
  store?: CheckpointStore;
  run?: HostRun;
  release?: () => void;
  nodeLock?: NodeLock;
  /** Set by a heartbeat that found the node's lock held by another run. */
  lockLost?: NodeLockLostError;
  heartbeat?: ReturnType<typeof setInterval>;
  record?: (event: string, data?: Record<string, unknown>) => void;
  /** Set by the first end of the host's run (its last task, or a failure). */
  ended?: Promise<void>;
}

/** What listr2 prints of a failure: the message, node text in it made printable. */
function forTheTree(error: unknown): Error {
  return new Error(printable(error instanceof Error ? error.message : String(error)));
}

type AnyTask = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

function stageUi(task: AnyTask, baseTitle: string): StageUi {
  return {
    title: (text) => {
      task.title = printable(text);
    },
    log: (line) => {
      task.output = printable(line);
    },
    retrying: (info, what) => {
      const reason = info.error instanceof Error ? info.error.message : String(info.error);
      task.title = printable(`${baseTitle} (attempt ${info.attempt + 1}: retrying ${what} after: ${reason.split('\n')[0]})`);
    },
  };
}

export async function runWorkflow(o: WorkflowOptions): Promise<HostResult[]> {
  const states: HostState[] = o.plans.map((plan) => ({
    plan,
    started: 0,
    result: { host: plan.name, ok: false, status: 'not-started', reboots: 0, durationMs: 0, stages: [], outputs: {} },
  }));
  const batches = o.serial ? chunk(states, o.serial) : [states];
  let finished = 0;
  let failed = 0;
  // A host is closed and counted as soon as its run ends, not when its batch does: the
  // --max-fail-percent brake sees a failure before the next host starts, connections and locks
  // are released early, and each host's duration is its own.
  const end = (s: HostState): Promise<void> =>
    (s.ended ??= closeHost(s, o).then(() => {
      finished += 1;
      if (s.result.status === 'failed' || s.result.status === 'locked') failed += 1;
    }));
  for (const batch of batches) {
    const listr = new Listr(
      batch.map((s): ListrTask => ({
        title: s.plan.name,
        task: async (_ctx, task) => {
          if (o.signal.aborted) {
            s.result.status = 'not-started';
            task.skip(`${s.plan.name}: not started, the run was interrupted`);
            return;
          }
          if (o.maxFailPercent !== undefined && finished > 0 && (failed / o.plans.length) * 100 > o.maxFailPercent) {
            s.result.status = 'not-started';
            task.skip(`${s.plan.name}: not started, ${failed} of ${o.plans.length} hosts failed (over --max-fail-percent ${o.maxFailPercent})`);
            return;
          }
          s.started = Date.now();
          return task.newListr(hostTasks(s, o, end), { exitOnError: true, concurrent: false });
        },
      })),
      {
        concurrent: o.serial ? Math.min(o.serial, o.concurrency) : o.concurrency,
        exitOnError: false,
        registerSignalListeners: false,
        renderer: o.renderer,
        fallbackRenderer: 'simple',
        fallbackRendererCondition: o.renderer === 'default' ? () => !process.stdout.isTTY : false,
        rendererOptions: { collapseSubtasks: false, showErrorMessage: true },
      },
    );
    await listr.run().catch(() => undefined);
    // Hosts the brake skipped, or whose run was cut short by an interrupt.
    for (const s of batch) await end(s);
  }
  return states.map((s) => s.result);
}

/** The host's subtree: prepare, one task per stage, and a title-less last task that ends the run. */
function hostTasks(s: HostState, o: WorkflowOptions, end: (s: HostState) => Promise<void>): ListrTask[] {
  const prepare: ListrTask = {
    title: 'connect and read the checkpoint',
    task: async (_ctx, task) => {
      try {
        let record: (event: string, data?: Record<string, unknown>) => void;
        if (o.dryRun) {
          // A dry run writes nothing (checkpoint, journal, lock, results): it reads the checkpoint to report.
          s.store = viewCheckpoint(o.stateDir, s.plan.name, stableHash(s.plan));
          record = () => undefined;
        } else {
          s.release = acquireLock(o.stateDir, s.plan.name, { command: o.command, warn: o.warn });
          const resetAll = o.reset?.includes('*') === true;
          s.store = openCheckpoint(o.stateDir, s.plan.name, stableHash(s.plan), { reset: resetAll });
          if (o.reset && !resetAll) s.store.reset([...o.reset]);
          s.store.newRun(o.runId);
          const journal = new Journal(o.stateDir, s.plan.name);
          record = (event: string, data: Record<string, unknown> = {}) => journal.append({ runId: o.runId, event, ...data });
        }
        s.record = record;
        record('run-start', { command: o.command, controller: hostname() });
        // What the stages observe of the node is read once per run (observing-host.ts).
        const observing = new ObservingHost(o.openHost(s.plan));
        s.host = observing;
        if (o.lockNode && !o.dryRun) {
          // The run's first contact with the node: a connection reset here is retried like any other.
          // The lock talks to the node directly: its heartbeat runs between and during stages and changes no fact of theirs.
          const host = observing.inner;
          const machineId = controllerMachineId(o.stateDir);
          s.nodeLock = await retryTransient(() => acquireNodeLock(host, { runId: o.runId, machineId, local: o.localBoot !== undefined, command: o.command, warn: o.warn }), o.timings.stage);
          const lock = s.nodeLock;
          // A heartbeat that finds the lock taken stops the run at the next check (the stage's start).
          s.heartbeat = setInterval(() => void lock.heartbeat().catch((e) => {
            if (e instanceof NodeLockLostError) s.lockLost ??= e;
          }), HEARTBEAT_EVERY_MS);
          s.heartbeat.unref();
        }
        s.run = new HostRun({
          host: s.host,
          plan: s.plan,
          stages: o.workflow.stages,
          store: s.store,
          runId: o.runId,
          stateDir: o.stateDir,
          selection: o.selection,
          dryRun: o.dryRun,
          timings: o.timings,
          rebootBudget: o.rebootBudget,
          signal: o.signal,
          beforeLocalReboot: o.localBoot ? () => o.localBoot!.install(s.host!) : undefined,
          record,
          ...(o.workflow.resolvePlan ? { resolvePlan: (h: Host, p: HostPlan) => o.workflow.resolvePlan!(h, p) } : {}),
          allowVfResize: o.allowVfResize ?? false,
          ...(s.nodeLock ? { nodeLock: guardedLock(s, s.nodeLock) } : {}),
          adopt: o.adopt ?? false,
        });
        await s.run.prepare();
        task.title = `connected (${s.plan.ssh.address === 'localhost' ? 'local' : s.plan.name})`;
      } catch (error) {
        s.result.status = error instanceof LockedError ? 'locked' : 'failed';
        s.result.error = toStageError(error);
        await end(s);
        throw forTheTree(error);
      }
    },
  };
  const decisions = () => s.run!.decisions();
  const stageTasks = o.workflow.stages.map((stage, i): ListrTask => ({
    title: stage.title,
    skip: () => {
      if (s.run?.stoppedForReboot) return 'after the reboot';
      const d = decisions()[i]!;
      if (d.run) return false;
      s.run!.skip(stage, d.reason);
      return printable(`${stage.title}: ${d.reason}`);
    },
    task: async (_ctx, task) => {
      let outcome;
      try {
        outcome = await s.run!.runStage(stage, stageUi(task as AnyTask, stage.title));
      } catch (error) {
        await end(s);
        throw forTheTree(error);
      }
      if (outcome.status === 'would-change') task.title = `${stage.title}: would change`;
    },
  }));
  return [prepare, ...stageTasks, { task: () => end(s) }];
}

/** The node's lock as the host's run checks it: a loss a heartbeat saw stops it too. */
function guardedLock(s: HostState, lock: NodeLock): Pick<NodeLock, 'verify' | 'announceReboot' | 'holderPath' | 'judgeHolder'> & { throwIfLost(): void } {
  return {
    holderPath: lock.holderPath,
    judgeHolder: (holder) => {
      if (s.lockLost) throw s.lockLost;
      lock.judgeHolder(holder);
    },
    throwIfLost: () => {
      if (s.lockLost) throw s.lockLost;
    },
    verify: async () => {
      if (s.lockLost) throw s.lockLost;
      await lock.verify();
    },
    announceReboot: (seconds) => lock.announceReboot(seconds),
  };
}

async function closeHost(s: HostState, o: WorkflowOptions): Promise<void> {
  const r = s.result;
  if (s.run) {
    r.stages = s.run.outcomes;
    r.reboots = s.run.reboots;
    const failedStage = s.run.outcomes.find((x) => x.status === 'failed' || x.status === 'rebooting');
    const interrupted = s.run.outcomes.find((x) => x.status === 'interrupted');
    if (s.run.stoppedForReboot) r.status = 'rebooting';
    else if (failedStage) {
      r.status = failedStage.status === 'rebooting' ? 'rebooting' : 'failed';
      r.failedStage = failedStage.id;
      r.error = failedStage.error;
    } else if (interrupted) {
      // Stopped by SIGINT/SIGTERM at a stage boundary: nothing failed, the next run continues.
      r.status = 'interrupted';
      r.error = interrupted.error;
    } else if (r.status !== 'failed' && r.status !== 'locked') {
      r.status = s.run.outcomes.length > 0 && s.run.outcomes.every((x) => x.status === 'skipped') ? 'nothing-to-do' : 'ok';
    }
    const checkpoint = s.store?.get();
    for (const stage of o.workflow.stages) {
      const outputs = checkpoint?.stages[stage.id]?.outputs;
      if (outputs) r.outputs[stage.id] = outputs;
    }
  }
  try {
    // Stages a check found done wait in memory (host-run.ts): on disk before the end is reported.
    s.store?.flush();
  } catch (error) {
    r.error = unrecordedError(r.error ?? { message: `the run ended ${r.status}` }, error, o.stateDir, 'the stages found done');
    r.status = 'failed';
  }
  r.ok = r.status === 'ok' || r.status === 'nothing-to-do';
  r.durationMs = s.started ? Date.now() - s.started : 0;
  if (s.host) {
    // The resume unit is removed when the workflow ends on the node (done or failed), not when it reboots.
    if (o.localBoot && r.status !== 'rebooting' && !o.dryRun) await o.localBoot.remove(s.host).catch((e) => o.warn(`could not remove the boot unit: ${(e as Error).message}`));
    clearInterval(s.heartbeat);
    // A run whose checks found everything done asked the node's lock nothing since it took it:
    // it is asked once now, so a run that lost it never reports the node done.
    if (s.nodeLock && r.ok && !o.dryRun) {
      const lock = s.nodeLock;
      try {
        if (s.lockLost) throw s.lockLost;
        await retryTransient(() => lock.verify(), o.timings.stage);
      } catch (error) {
        r.status = 'failed';
        r.ok = false;
        r.error = toStageError(error);
      }
    }
    // A run that stopped for a reboot keeps the node's lock: it (or the boot unit's run) goes on.
    if (s.nodeLock && r.status !== 'rebooting') await s.nodeLock.release().catch((e) => o.warn(`could not release the node's lock on ${s.plan.name}: ${(e as Error).message}`));
    const { roundTrips, connectFailures, connections } = s.host as { roundTrips?: number; connectFailures?: number; connections?: number };
    if (typeof roundTrips === 'number') r.roundTrips = roundTrips;
    if (typeof connectFailures === 'number') r.connectFailures = connectFailures;
    if (typeof connections === 'number') r.connections = connections;
    await s.host.close().catch(() => undefined);
  }
  try {
    s.record?.('run-end', { status: r.status, ...(r.failedStage ? { failedStage: r.failedStage } : {}), durationMs: r.durationMs });
  } catch (error) {
    // The journal cannot say how the run ended: the host does not end ok.
    const found = r.error ?? { message: `the run ended ${r.status}` };
    r.error = unrecordedError(found, error, o.stateDir, 'the end of the run');
    if (r.ok) r.status = 'failed';
    r.ok = false;
  } finally {
    s.release?.();
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
