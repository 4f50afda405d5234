// Runs a workflow's stages on one host under the stage contract: check → apply → (reboot) →
// verify, with the checkpoint written before every side effect and after every verify.
// It knows nothing of listr2 (the UI is a StageUi) nor of how the host is reached.
import type { Host } from '../hosts/host.ts';
import { forgetObservations, readAlong, takeAlong, type FileRead } from '../hosts/observing-host.ts';
import type { CheckpointStore } from '../state/checkpoint.ts';
import { stableHash } from '../state/hash.ts';
import type { StageError, StageRecord } from '../state/types.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from './stage.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { CommandError, FatalError, InterruptedError, NotReadyError, SriovLxcError, StateError, isTransient } from '../core/errors.ts';
import { issueReboot, RebootTimeoutError, waitForNewBoot } from './reboot.ts';
import { retryTransient, type AttemptInfo, type RetryTimings } from '../core/retry.ts';
import { decide, type Decision, type Selection } from './select.ts';
import type { NodeLock } from './node-lock.ts';

/** What the person watching sees of one stage. */
export interface StageUi {
  title(text: string): void;
  log(line: string): void;
  /** A transient failure is being retried. */
  retrying(info: AttemptInfo, what: string): void;
}

export type StageOutcomeStatus = 'done' | 'skipped' | 'would-change' | 'failed' | 'rebooting' | 'interrupted';

export interface StageOutcome {
  id: string;
  status: StageOutcomeStatus;
  changed: boolean;
  attempts: number;
  durationMs: number;
  reason?: string;
  plan?: CheckResult;
  error?: StageError;
}

export interface HostRunOptions {
  host: Host;
  plan: HostPlan;
  stages: readonly Stage[];
  store: CheckpointStore;
  runId: string;
  stateDir: string;
  selection: Selection;
  dryRun: boolean;
  timings: RetryTimings;
  /** Reboots a stage may request before the engine stops with a diagnosis instead of looping. */
  rebootBudget: number;
  signal: AbortSignal;
  /**
   * On-node mode: called after the checkpoint says `rebooting` and before the reboot is issued
   * (installs the boot unit that resumes the run). The run then stops: this process dies with the node.
   */
  beforeLocalReboot?: () => Promise<void>;
  /** Journal of events for this host. */
  record?: (event: string, data?: Record<string, unknown>) => void;
  /** Resolves what the plan leaves to the node (its NIC), once, before any stage or inputs hash. */
  resolvePlan?: (host: Host, plan: HostPlan) => Promise<HostPlan>;
  /** --allow-vf-resize: a VF count change may stop and restart the containers that own VFs. */
  allowVfResize?: boolean;
  /**
   * The node's lock (node-lock.ts): checked before every apply (its holder file read with the
   * check's reads, judgeHolder; else asked on the node) and asked on return from a reboot (a check
   * only reads), told of every reboot; a loss its heartbeat saw stops every stage.
   */
  nodeLock?: Pick<NodeLock, 'verify' | 'announceReboot'> & Partial<Pick<NodeLock, 'holderPath' | 'judgeHolder'>> & { throwIfLost?(): void };
  /** --adopt: container-create may take an existing container it did not create. */
  adopt?: boolean;
}

/** Thrown inside a stage run to stop the host's run for an on-node reboot (not a failure). */
class StoppedForReboot extends Error {}

export class HostRun {
  readonly outcomes: StageOutcome[] = [];
  /** Boots seen during this run (reboots done). */
  reboots = 0;
  stoppedForReboot = false;
  private bootId: string | undefined;
  private decided: Decision[] = [];
  private readonly o: HostRunOptions;
  /** The host's plan, resolved for the node by prepare(). */
  private plan: HostPlan;

  constructor(options: HostRunOptions) {
    this.o = options;
    this.plan = options.plan;
  }

  get ok(): boolean {
    return this.outcomes.every((s) => s.status === 'done' || s.status === 'skipped' || s.status === 'would-change');
  }

  /** Connects, records the boot and re-opens stages whose inputs changed. */
  async prepare(): Promise<void> {
    this.bootId = await retryTransient(() => this.o.host.bootId(), this.o.timings.stage);
    if (this.o.resolvePlan) this.plan = await this.o.resolvePlan(this.o.host, this.o.plan);
    // Decided once, before any stage runs: a stage finishing must not change what runs after it.
    this.decided = decide(this.o.selection, this.o.stages.map((s) => s.id), (id) => this.o.store.stage(id).status, (id) => this.o.stages.find((s) => s.id === id)?.retryFrom);
    if (this.o.dryRun) return;
    this.o.store.recordBoot(this.bootId);
    const ids = this.o.stages.map((s) => s.id);
    const changedAt = this.o.stages.findIndex((s) => {
      const rec = this.o.store.stage(s.id);
      return rec.status !== 'pending' && rec.inputsHash !== undefined && rec.inputsHash !== this.inputsHash(s);
    });
    if (changedAt >= 0) {
      this.o.record?.('inputs-changed', { stage: ids[changedAt] });
      this.o.store.invalidate(ids, ids[changedAt]!);
    }
  }

  /** Decisions per stage for the selection, made by prepare(); a skipped stage is reported, not run. */
  decisions(): readonly Decision[] {
    return this.decided;
  }

  skip(stage: Stage, reason: string): void {
    this.outcomes.push({ id: stage.id, status: 'skipped', changed: false, attempts: 0, durationMs: 0, reason });
  }

  /** Runs one stage to done, or throws (the host stops; the checkpoint says why). */
  async runStage(stage: Stage, ui: StageUi): Promise<StageOutcome> {
    const started = Date.now();
    let attempts = 0;
    const outcome = (status: StageOutcomeStatus, changed: boolean, extra: Partial<StageOutcome> = {}): StageOutcome => {
      const o: StageOutcome = { id: stage.id, status, changed, attempts, durationMs: Date.now() - started, ...extra };
      this.outcomes.push(o);
      return o;
    };
    try {
      this.stopIfInterrupted();
      // A loss the heartbeat saw stops the run here; the node itself is asked before every change.
      this.o.nodeLock?.throwIfLost?.();
      const rec = this.o.store.stage(stage.id);
      if (rec.status === 'rebooting' && !this.o.dryRun) {
        attempts = 1;
        await this.resumeReboot(stage, rec, ui);
        const outputs = await this.verify(stage, ui);
        this.o.store.markDone(stage.id, { outputs, changed: true, durationMs: Date.now() - started, bootId: this.bootId! });
        return outcome('done', true);
      }
      return await retryTransient(
        async () => {
          attempts += 1;
          // A retried check looks again: what the failed attempt observed may be what changed.
          if (attempts > 1) forgetObservations(this.o.host);
          const ctx = this.context(ui);
          const lock = this.o.nodeLock;
          // The lock's holder file goes with the check's first batch of reads: what apply's lock
          // check needs, without a round trip of its own (7 of a lab node's 89 in a first provisioning).
          if (lock?.holderPath) readAlong(this.o.host, lock.holderPath);
          let check: CheckResult;
          let holder: FileRead | undefined;
          try {
            check = await stage.check(ctx);
          } finally {
            holder = takeAlong(this.o.host);
          }
          if (check.done) {
            ui.title(`${stage.title}: ${check.reason}`);
            if (this.o.dryRun) return outcome('done', false, { reason: check.reason });
            const outputs = check.outputs ?? (await this.verify(stage, ui));
            // Nothing changed on the node: the record waits for the next write or the run's end
            // (CheckpointStore.flush, before the result is reported). A no-op run writes once.
            this.o.store.markDone(stage.id, {
              deferred: true,
              inputsHash: this.inputsHash(stage),
              outputs,
              changed: false,
              durationMs: Date.now() - started,
              bootId: this.bootId!,
            });
            return outcome('done', false, { reason: check.reason });
          }
          if (this.o.dryRun) {
            ui.title(`${stage.title}: would change`);
            for (const line of check.plan) ui.log(line);
            return outcome('would-change', false, { plan: check });
          }
          for (const line of check.plan) ui.log(line);
          this.stopIfInterrupted();
          await this.verifyNodeLock(holder);
          // "running" is written before the first side effect: a crash from here on is resolved
          // by the next run's check(), which says what is true on the node.
          this.o.store.markRunning(stage.id, { inputsHash: this.inputsHash(stage), bootId: this.bootId! });
          this.o.record?.('stage-apply', { stage: stage.id, attempt: attempts });
          // apply starts from what the check observed an instant ago (only the lock was asked in
          // between, and it changes no fact): its first command that is not a remembered read
          // forgets it all, and a loop in apply that waits for a change forgets before each look.
          // Forgetting here made a first provisioning read 11 of its 122 round trips twice.
          try {
            await stage.apply(ctx);
            if (stage.reboots) await this.reboot(stage, ui);
          } finally {
            // What apply or the reboot changed is read again: nothing observed before is trusted.
            forgetObservations(this.o.host);
          }
          const outputs = await this.verify(stage, ui);
          this.o.store.markDone(stage.id, { outputs, changed: true, durationMs: Date.now() - started, bootId: this.bootId! });
          return outcome('done', true);
        },
        this.o.timings.stage,
        (info) => ui.retrying(info, stage.id),
        // No signal here: an interrupt never abandons a stage mid-apply; it is honoured at the
        // stage's boundaries (stopIfInterrupted) and while waiting for a reboot.
      );
    } catch (error) {
      if (error instanceof StoppedForReboot) {
        this.stoppedForReboot = true;
        return outcome('rebooting', true, { reason: 'the node reboots; its boot unit resumes the run' });
      }
      const stageError = toStageError(error);
      if (error instanceof InterruptedError) {
        // Not a failure of the stage: its checkpoint stays as written; the next run's check decides.
        outcome('interrupted', false, { error: stageError });
        throw error;
      }
      const pending = this.o.dryRun ? this.outcomes.findLast((o) => o.status === 'would-change') : undefined;
      if (pending) {
        // A dry run checks each stage against the node as it is now: a stage after one that would
        // change cannot be judged before that change (on a fresh node the reboot stage refuses a
        // boot entry that kernel-cmdline has not written yet). Reported, not a failure.
        return outcome('would-change', false, { plan: { done: false, plan: [`to be checked once ${pending.id} is applied (now: ${stageError.message})`] } });
      }
      const status = error instanceof RebootTimeoutError ? 'rebooting' : 'failed';
      try {
        if (!this.o.dryRun) {
          if (error instanceof RebootTimeoutError) this.o.store.update(stage.id, { error: stageError });
          else this.o.store.markFailed(stage.id, stageError);
        }
        this.o.record?.('stage-failed', { stage: stage.id, error: stageError.message });
      } catch (recordError) {
        // The state dir cannot be written (full, read-only, quota): the failure is reported all the
        // same, with why it is not on disk, and the host ends failed, never ok.
        const unrecorded = unrecordedError(stageError, recordError, this.o.stateDir);
        outcome(status, false, { error: unrecorded });
        throw new StateError(unrecorded.message, { hint: unrecorded.hint }, { cause: error });
      }
      outcome(status, false, { error: stageError });
      throw error;
    }
  }

  /**
   * Stops the run (NodeLockLostError) when another run holds the node's lock now. `holder`: the
   * holder file as the check's batch read it (only reads were sent since): judged without asking
   * the node again; without it (the check read nothing new, or something was forgotten since) the
   * node is asked.
   */
  private async verifyNodeLock(holder?: FileRead): Promise<void> {
    const lock = this.o.nodeLock;
    if (!lock) return;
    if (holder && lock.judgeHolder) {
      lock.judgeHolder(holder.text);
      return;
    }
    await retryTransient(() => lock.verify(), this.o.timings.stage);
  }

  private stopIfInterrupted(): void {
    if (this.o.signal.aborted) {
      const reason = this.o.signal.reason instanceof Error ? this.o.signal.reason.message : String(this.o.signal.reason ?? 'signal');
      throw new InterruptedError(`${reason}; stopped before the next step`, {
        hint: 'run the same command again to continue from the checkpoint',
      });
    }
  }

  private context(ui: StageUi): StageContext {
    const outputs: Record<string, StageOutputs> = {};
    for (const s of this.o.stages) {
      const rec = this.o.store.stage(s.id);
      if (rec.outputs) outputs[s.id] = rec.outputs;
    }
    return {
      host: this.o.host,
      plan: this.plan,
      outputs,
      log: (line) => ui.log(line),
      signal: this.o.signal,
      runId: this.o.runId,
      stateDir: this.o.stateDir,
      allowVfResize: this.o.allowVfResize ?? false,
      dryRun: this.o.dryRun,
      adopt: this.o.adopt ?? false,
    };
  }

  private inputsHash(stage: Stage): string {
    return stableHash(stage.inputs(this.plan));
  }

  /** verify(), retried while it says NotReady; its outputs go into the checkpoint. */
  private async verify(stage: Stage, ui: StageUi): Promise<StageOutputs> {
    let attempt = 0;
    try {
      return await retryTransient(
        () => {
          // Waiting for the world to settle means looking at it again, not at what was remembered.
          if (attempt++ > 0) forgetObservations(this.o.host);
          return stage.verify(this.context(ui));
        },
        this.o.timings.settle,
        (info) => ui.retrying(info, `${stage.id} verify`),
      );
    } catch (error) {
      // The world had its time to settle: re-running the whole stage would only wait again.
      if (error instanceof NotReadyError) {
        throw new FatalError(`${stage.id}: ${error.message} (still so after waiting for it to settle)`, {
          hint: error.hint ?? 'look at the node: what verify waits for did not happen',
          command: error.command,
          code: error.code,
          stderrTail: error.stderrTail,
        });
      }
      throw error;
    }
  }

  private async reboot(stage: Stage, ui: StageUi): Promise<void> {
    const rec = this.o.store.stage(stage.id);
    const issued = rec.reboot?.issued ?? 0;
    if (issued >= this.o.rebootBudget) throw await this.budgetExhausted(stage, rec, ui);
    const prevBootId = await this.o.host.bootId();
    const expected = (await stage.expects?.(this.context(ui))) ?? 'a new boot';
    this.o.store.markRebooting(stage.id, { prevBootId, expected });
    this.o.record?.('reboot-requested', { stage: stage.id, prevBootId, issued: issued + 1 });
    // Others honour this deadline instead of judging the lock stale by its silent heartbeat.
    if (this.o.nodeLock) await this.o.nodeLock.announceReboot((this.o.timings.rebootReturn.maxRetryTime ?? 600_000) / 1000);
    if (this.o.beforeLocalReboot) {
      await this.o.beforeLocalReboot();
      ui.title(`${stage.title}: rebooting; the boot unit resumes the run`);
      await issueReboot(this.o.host);
      throw new StoppedForReboot();
    }
    ui.title(`${stage.title}: rebooting (${issued + 1}/${this.o.rebootBudget})`);
    const downNotBefore = await issueReboot(this.o.host);
    await this.awaitBoot(stage, prevBootId, ui, downNotBefore);
  }

  private async awaitBoot(stage: Stage, prevBootId: string, ui: StageUi, downNotBefore: number): Promise<void> {
    const bootId = await waitForNewBoot(
      this.o.host,
      prevBootId,
      this.o.timings.rebootReturn,
      (info) => ui.title(`${stage.title}: waiting for ${this.o.host.name} to come back (poll ${info.attempt})`),
      this.o.signal,
      downNotBefore,
    );
    // The journal's time of the boot is when it was seen: the checkpoint's fsync'd write comes after.
    this.o.record?.('boot-seen', { stage: stage.id, bootId });
    this.bootId = bootId;
    this.reboots += 1;
    forgetObservations(this.o.host);
    this.o.store.recordBoot(bootId);
    await this.verifyNodeLock();
    ui.title(`${stage.title}: back with a new boot`);
  }

  /** Resume of a stage the checkpoint left in `rebooting` (crash or timeout while waiting). */
  private async resumeReboot(stage: Stage, rec: StageRecord, ui: StageUi): Promise<void> {
    const prevBootId = rec.reboot?.prevBootId;
    if (!prevBootId) throw new FatalError(`checkpoint of ${stage.id} is 'rebooting' without the previous boot id`, { hint: `run with --reset ${stage.id}` });
    const current = await retryTransient(() => this.o.host.bootId(), this.o.timings.rebootReturn);
    if (current !== prevBootId) {
      this.bootId = current;
      this.reboots += 1;
      forgetObservations(this.o.host);
      this.o.store.recordBoot(current);
      await this.verifyNodeLock();
      ui.title(`${stage.title}: the node rebooted while we were away; verifying`);
      return;
    }
    // Same boot: the reboot never happened (or the node never went down). Issue it again, within budget.
    ui.log('the node has not rebooted since the reboot was requested; requesting it again');
    await this.reboot(stage, ui);
  }

  private async budgetExhausted(stage: Stage, rec: StageRecord, ui: StageUi): Promise<FatalError> {
    // What the stage expects now (its own words), else what it expected when it asked for the reboot.
    const expected = (await stage.expects?.(this.context(ui)).catch(() => undefined)) ?? rec.reboot?.expected ?? 'a new boot';
    // What the node runs with now, next to what was expected: the diagnosis in one line.
    const found = (await this.o.host.readFile('/proc/cmdline').catch(() => undefined))?.trim();
    return new FatalError(
      `${this.o.host.name}: ${stage.id} already rebooted the node ${rec.reboot?.issued ?? 0} times without reaching its goal; not rebooting again (expected: ${expected}; found on the kernel cmdline: ${found ?? '(/proc/cmdline unreadable)'})`,
      { hint: `look at /proc/cmdline and the bootloader configuration on the node; after fixing, run with --reset ${stage.id} to allow new reboots` },
    );
  }
}

export function toStageError(error: unknown): StageError {
  if (error instanceof SriovLxcError) {
    const e: StageError = { message: error.message };
    if (error.hint) e.hint = error.hint;
    if (error.command) e.command = error.command;
    if (error.code !== undefined) e.code = error.code;
    if (error.stderrTail) e.stderrTail = error.stderrTail;
    if (!e.hint && isTransient(error)) e.hint = 'the node was not reachable or not ready; check the network and run the same command again';
    if (!e.hint && error instanceof CommandError) e.hint = 'see the command and its error output above';
    if (!e.hint && error instanceof NotReadyError) e.hint = 'the node did not settle in time';
    return e;
  }
  return { message: error instanceof Error ? error.message : String(error), hint: 'an unexpected error: please report it with the journal of this host' };
}

/** A stage's failure that could not be written to the state dir: both errors, the stage's first. */
export function unrecordedError(stageError: StageError, recordError: unknown, stateDir: string, what = 'this failure'): StageError {
  const why = recordError instanceof Error ? recordError.message : String(recordError);
  return {
    ...stageError,
    message: `${stageError.message} — and ${what} could not be recorded in ${stateDir}: ${why}`,
    hint: `free space in (or make writable) ${stateDir}, then run again: the state dir does not hold ${what}${stageError.hint ? `; ${stageError.hint}` : ''}`,
  };
}
