// The stage contract (README "Layout"; the stages: README "The stages"). Stages are plain objects;
// the engine runs check → apply → verify, writes checkpoints, retries and reboots.
import type { Host } from '../hosts/host.ts';
import type { HostPlan } from '../inventory/plan.ts';
import type { RecordedOutputs } from '../core/outputs.ts';

export type { FileDiff } from '../node/parse/diff.ts';
import type { FileDiff } from '../node/parse/diff.ts';

export type CheckResult =
  /**
   * `outputs`: what verify would return, read in the same observation. A check that finds the
   * stage done and gives them spares the node a second, identical look (a no-op run halves its
   * commands); without them the engine runs verify.
   */
  | { done: true; reason: string; outputs?: StageOutputs }
  | { done: false; plan: string[]; diffs?: FileDiff[] };

export type StageOutputs = Record<string, unknown>;

export interface StageContext {
  host: Host;
  plan: HostPlan;
  /** Outputs of earlier stages of this host, by stage id (from the checkpoint): read them with recorded() and a typed key. */
  outputs: RecordedOutputs;
  /** A line for the person watching (listr2 task output, journal). */
  log(message: string): void;
  /** Aborted on SIGINT/SIGTERM: finish or stop the current command cleanly. */
  signal: AbortSignal;
  /** This run's id; artefacts of the run are stored under it. */
  runId: string;
  /** The controller's state dir (checkpoints, run artefacts such as benchmark results). */
  stateDir: string;
  /** --allow-vf-resize: a VF count change may stop the containers owning VFs and start them again. */
  allowVfResize?: boolean;
  /** --dry-run: earlier stages that would change have not, so a check sees the node before them. */
  dryRun?: boolean;
  /** --adopt: container-create may take an existing container of the inventory's name it did not create. */
  adopt?: boolean;
}

/**
 * A workflow as its definition in workflows/ gives it: its stages in order, and how a host's plan
 * is resolved on the node before any stage runs.
 */
export interface Workflow {
  stages: readonly Stage[];
  /** What the plan leaves to the node (its NIC), resolved once per host before any stage or inputs hash. */
  resolvePlan?(host: Host, plan: HostPlan): Promise<HostPlan>;
}

export interface Stage {
  /** Stable id used in checkpoints and on the command line (kebab-case). */
  id: string;
  title: string;
  /** The part of the plan this stage depends on; its hash re-opens the stage when it changes. */
  inputs(plan: HostPlan): unknown;
  /** Read-only: is the stage's goal already true on the host? Runs on every run, resume included. */
  check(ctx: StageContext): Promise<CheckResult>;
  /** Mutates the host; safe to run again after a crash halfway. */
  apply(ctx: StageContext): Promise<void>;
  /** Read-only proof. Throws NotReadyError while the world settles (retried), anything else is fatal. */
  verify(ctx: StageContext): Promise<StageOutputs>;
  /** The engine runs the reboot protocol after apply and before verify. */
  reboots?: boolean;
  /** A rebooting stage: what the new boot must show, in words (the engine names it when the reboot budget is used up). */
  expects?(ctx: StageContext): Promise<string>;
  /**
   * The stage a re-run of this one starts from (--retry-failed): the first of a unit of stages
   * that only work together, e.g. a reboot into a one-shot entry that an earlier stage arms.
   */
  retryFrom?: string;
}
