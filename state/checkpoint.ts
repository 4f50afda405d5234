// The checkpoint store of one host: a conf store in <stateDir>/hosts/<host>/checkpoint.json.
// conf writes atomically (temp file, fsync, rename); every mutation here is persisted before it
// returns, so "running" is on disk before a side effect and "done" after verify. The caller holds
// the host's lock (state/lock.ts): one writer per file. Two records that change nothing on the node
// may wait in memory (`deferred`): the run's id, and a stage a check found already done; the next
// write takes them along, and flush() writes them before the run reports its end.

import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { SriovLxcError, StateError } from '../core/errors.ts';
import {
  STAGE_ID,
  checkpointMigrations,
  hostCheckpointSchema,
  loadCheckpoint,
  parseCheckpointText,
  describeIssues,
  type CheckpointProblem,
  type MigrationTable,
} from './checkpoint-schema.ts';
import { checkpointPath, ensureHostDir } from './state-dir.ts';
import { SCHEMA_VERSION, type HostCheckpoint, type StageError, type StageRecord } from './types.ts';

/** How many boots the checkpoint remembers. */
const MAX_BOOTS = 20;
const CONFIG_NAME = 'checkpoint';

export interface OpenCheckpointOptions {
  /** `--reset` of the whole host: move an existing checkpoint aside (kept) and start afresh. */
  reset?: boolean;
  /** Defaults to the real table; a seam for testing the migration path. */
  migrations?: MigrationTable;
}

export interface DoneDetails {
  /**
   * Kept in memory, written with the next write or by flush(): for a stage check() found done,
   * where losing the record (a crash before the next write) only means the next run checks again.
   */
  deferred?: boolean;
  /** Given when the stage was found done by check() without a markRunning() first. */
  inputsHash?: string | undefined;
  outputs?: Record<string, unknown> | undefined;
  changed: boolean;
  durationMs: number;
  bootId?: string | undefined;
}

/** Made by openCheckpoint. Reads are from memory; every write goes to disk before it returns. */
export class CheckpointStore {
  readonly path: string;
  readonly host: string;
  /** The plan hash the checkpoint held before this run, when it differs from this run's. */
  readonly previousPlanHash: string | undefined;
  /** The schema version the file was migrated from on open, if it was older. */
  readonly migratedFrom: number | undefined;
  /** undefined: a read-only view (viewCheckpoint, for a dry run), which refuses every write. */
  readonly #conf: Conf<HostCheckpoint> | undefined;
  #data: HostCheckpoint;
  /** Memory holds records the file does not yet (deferred marks). */
  #unwritten = false;

  constructor(
    conf: Conf<HostCheckpoint> | undefined,
    data: HostCheckpoint,
    meta: { path: string; previousPlanHash: string | undefined; migratedFrom: number | undefined },
  ) {
    this.#conf = conf;
    this.#data = data;
    this.path = meta.path;
    this.host = data.host;
    this.previousPlanHash = meta.previousPlanHash;
    this.migratedFrom = meta.migratedFrom;
    if (conf !== undefined) this.#persist(data);
  }

  /** The run now writing this checkpoint; recorded with the run's next write (or flush()). */
  newRun(runId: string): void {
    this.#keep({ ...this.#data, runId });
  }

  /** Writes what deferred marks left in memory; nothing when the file holds it all. */
  flush(): void {
    if (this.#unwritten) this.#persist(this.#data);
  }

  /** A copy of the whole checkpoint. */
  get(): HostCheckpoint {
    return structuredClone(this.#data);
  }

  /** A copy of one stage's record; a stage never run is `pending` with 0 attempts. */
  stage(id: string): StageRecord {
    assertStageId(id);
    return structuredClone(this.#data.stages[id] ?? pendingRecord());
  }

  /** Merge `patch` into a stage's record and persist; a key set to undefined is removed. */
  update(id: string, patch: Partial<StageRecord>): StageRecord {
    return this.#writeStage(id, { ...this.stage(id), ...patch });
  }

  /** Before the first side effect of a stage: attempts + 1, results of earlier attempts dropped. */
  markRunning(id: string, details: { inputsHash: string; bootId?: string | undefined }): StageRecord {
    const previous = this.stage(id);
    return this.#writeStage(id, {
      status: 'running',
      attempts: previous.attempts + 1,
      inputsHash: details.inputsHash,
      startedAt: now(),
      bootId: details.bootId,
      // Kept across attempts and runs until the stage is done again: the reboot budget counts
      // every reboot the stage requested since, so a bootloader that ignores the new config
      // cannot make runs reboot the node forever.
      reboot: previous.status === 'done' ? undefined : previous.reboot,
    });
  }

  /** After verify passed (or check found the stage done: `deferred` may then leave it in memory). */
  markDone(id: string, details: DoneDetails): StageRecord {
    const previous = this.stage(id);
    return this.#writeStage(id, {
      ...previous,
      error: undefined,
      status: 'done',
      finishedAt: now(),
      outputs: details.outputs,
      changed: details.changed,
      durationMs: details.durationMs,
      bootId: details.bootId ?? previous.bootId,
      inputsHash: details.inputsHash ?? previous.inputsHash,
    }, details.deferred === true);
  }

  markFailed(id: string, error: StageError, details: { durationMs?: number; bootId?: string } = {}): StageRecord {
    const previous = this.stage(id);
    return this.#writeStage(id, {
      ...previous,
      status: 'failed',
      finishedAt: now(),
      error,
      durationMs: details.durationMs ?? previous.durationMs,
      bootId: details.bootId ?? previous.bootId,
    });
  }

  /**
   * Before issuing a reboot. `issued` counts the reboots the stage requested since it was last done
   * (or reset): the engine compares it with its reboot budget.
   */
  markRebooting(id: string, details: { prevBootId: string; expected: string }): StageRecord {
    const previous = this.stage(id);
    return this.#writeStage(id, {
      ...previous,
      status: 'rebooting',
      bootId: details.prevBootId,
      reboot: {
        prevBootId: details.prevBootId,
        expected: details.expected,
        issued: (previous.reboot?.issued ?? 0) + 1,
        requestedAt: now(),
      },
    });
  }

  /** Record the host's current boot id; true if it is a boot not seen last time. */
  recordBoot(bootId: string): boolean {
    const boots = this.#data.boots;
    if (boots.at(-1)?.bootId === bootId) return false;
    this.#persist({ ...this.#data, boots: [...boots, { bootId, seenAt: now() }].slice(-MAX_BOOTS) });
    return true;
  }

  /** Forget the records of `stageIds`, or of every stage. Boot history is kept. */
  reset(stageIds?: readonly string[]): void {
    const stages = { ...this.#data.stages };
    for (const id of stageIds ?? Object.keys(stages)) {
      assertStageId(id);
      delete stages[id];
    }
    this.#persist({ ...this.#data, stages });
  }

  /** Set `fromId` and every stage after it in `order` back to pending; returns those that had a record. */
  invalidate(order: readonly string[], fromId: string): string[] {
    const start = order.indexOf(fromId);
    if (start < 0) throw new Error(`Stage ${fromId} is not in the stage order ${order.join(', ')}`);
    const stages = { ...this.#data.stages };
    const reopened = order.slice(start).filter((id) => stages[id] !== undefined);
    for (const id of reopened) stages[id] = pendingRecord();
    if (reopened.length > 0) this.#persist({ ...this.#data, stages });
    return reopened;
  }

  #writeStage(id: string, record: StageRecord, deferred = false): StageRecord {
    assertStageId(id);
    const next = { ...this.#data, stages: { ...this.#data.stages, [id]: record } };
    if (deferred) this.#keep(next);
    else this.#persist(next);
    return this.stage(id);
  }

  /** What the file will hold (through JSON and the schema), checked as a write would be. */
  #valid(next: HostCheckpoint): HostCheckpoint {
    if (this.#conf === undefined) throw new StateError(`The checkpoint of ${this.host} is open read-only (a dry run writes nothing): not written`);
    // Through JSON and the schema first, so memory holds exactly what the file holds (undefined
    // keys dropped) and nothing is written that the next open would refuse.
    const result = hostCheckpointSchema.safeParse(JSON.parse(JSON.stringify({ ...next, updatedAt: now() })));
    if (!result.success) {
      throw new StateError(`Refusing to write an invalid checkpoint for ${this.host}: ${describeIssues(result.error)}`);
    }
    return result.data;
  }

  /** In memory only, until the next write or flush(). */
  #keep(next: HostCheckpoint): void {
    this.#data = this.#valid(next);
    this.#unwritten = true;
  }

  #persist(next: HostCheckpoint): void {
    const data = this.#valid(next);
    this.#conf!.store = data;
    fsyncDirectory(path.dirname(this.path));
    this.#data = data;
    this.#unwritten = false;
  }
}

/**
 * Open (or create) the checkpoint of `host`, recording `planHash` (state/hash.ts of the host's plan).
 * Call it while holding the host's lock, then `newRun(runId)`. Throws StateError for a file that is
 * damaged (moved aside first, never deleted), from a newer sriov-lxc, from an older one without a
 * migration, or of another host (those three are left as they are).
 */
export function openCheckpoint(stateDir: string, host: string, planHash: string, options: OpenCheckpointOptions = {}): CheckpointStore {
  const dir = ensureHostDir(stateDir, host);
  const file = checkpointPath(stateDir, host);
  removeInterruptedWrites(dir);
  if (options.reset === true && fs.existsSync(file)) moveAside(file, 'reset');

  const existed = fs.existsSync(file);
  let conf: Conf<HostCheckpoint>;
  let raw: Record<string, unknown>;
  try {
    conf = new Conf<HostCheckpoint>({
      cwd: dir,
      configName: CONFIG_NAME,
      clearInvalidConfig: false,
      // Only root reads its state: the checkpoint says what was done to the node.
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      serialize: (value) => JSON.stringify(value, undefined, 2) + '\n',
      deserialize: (text) => parseCheckpointText(text) as unknown as HostCheckpoint,
    });
    raw = conf.store as unknown as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) throw corruptError(host, file, error.message);
    throw error;
  }

  let data: HostCheckpoint;
  let previousPlanHash: string | undefined;
  let migratedFrom: number | undefined;
  if (!existed) {
    data = { schemaVersion: SCHEMA_VERSION, host, runId: '', planHash, updatedAt: now(), boots: [], stages: {} };
  } else {
    const load = loadCheckpoint(raw, host, options.migrations ?? checkpointMigrations);
    if (!load.ok) {
      if (load.problem.kind === 'corrupt') throw corruptError(host, file, load.problem.reason);
      throw problemError(host, file, load.problem);
    }
    migratedFrom = load.migratedFrom;
    // The file as the old version wrote it stays next to the migrated one.
    if (migratedFrom !== undefined) fs.copyFileSync(file, asidePath(file, `v${migratedFrom}`));
    previousPlanHash = load.checkpoint.planHash === planHash ? undefined : load.checkpoint.planHash;
    data = { ...load.checkpoint, planHash };
  }
  return new CheckpointStore(conf, data, { path: file, previousPlanHash, migratedFrom });
}

/**
 * The checkpoint of `host` as a store that only reads (a dry run): what is on disk, or an empty
 * one when the host has none; nothing is created, moved aside or written, and no lock is needed.
 * Throws StateError as readCheckpoint does.
 */
export function viewCheckpoint(stateDir: string, host: string, planHash: string): CheckpointStore {
  const found = readCheckpoint(stateDir, host);
  const data = found ?? { schemaVersion: SCHEMA_VERSION, host, runId: '', planHash, updatedAt: now(), boots: [], stages: {} };
  const previousPlanHash = found === undefined || found.planHash === planHash ? undefined : found.planHash;
  return new CheckpointStore(undefined, { ...data, planHash }, { path: checkpointPath(stateDir, host), previousPlanHash, migratedFrom: undefined });
}

/**
 * The checkpoint of `host` as it is on disk, without a lock and without writing (status, report);
 * undefined if the host has none. Migrates in memory. Throws StateError for a file it cannot use.
 */
export function readCheckpoint(stateDir: string, host: string, migrations: MigrationTable = checkpointMigrations): HostCheckpoint | undefined {
  const file = checkpointPath(stateDir, host);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let problem: CheckpointProblem;
  try {
    const load = loadCheckpoint(parseCheckpointText(text), host, migrations);
    if (load.ok) return load.checkpoint;
    problem = load.problem;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    problem = { kind: 'corrupt', reason: error.message };
  }
  if (problem.kind === 'corrupt') {
    throw new StateError(`The checkpoint of ${host} (${file}) is unreadable: ${problem.reason}`, {
      hint: 'the next provision run moves it aside (kept) and starts this host afresh',
    });
  }
  throw problemError(host, file, problem);
}

/** The checkpoint form of an error a stage raised. */
export function stageErrorFrom(error: unknown): StageError {
  if (!(error instanceof Error)) return { message: String(error) };
  const stageError: StageError = { message: error.message };
  if (error instanceof SriovLxcError) {
    if (error.hint !== undefined) stageError.hint = error.hint;
    if (error.command !== undefined) stageError.command = error.command;
    if (error.code !== undefined) stageError.code = error.code;
    if (error.stderrTail !== undefined) stageError.stderrTail = error.stderrTail;
  }
  return stageError;
}

function corruptError(host: string, file: string, reason: string): StateError {
  const kept = moveAside(file, 'corrupt');
  return new StateError(`The checkpoint of ${host} (${file}) is unreadable: ${reason}`, {
    hint: `the bad file is kept at ${kept}; the next run starts this host afresh (each stage's check finds what is already done)`,
  });
}

function problemError(host: string, file: string, problem: Exclude<CheckpointProblem, { kind: 'corrupt' }>): StateError {
  switch (problem.kind) {
    case 'newer':
      return new StateError(
        `The checkpoint of ${host} (${file}) has schema version ${problem.version}, newer than this sriov-lxc knows (${SCHEMA_VERSION})`,
        { hint: 'upgrade sriov-lxc to the version that wrote it; the file was left as it is' },
      );
    case 'unmigratable':
      return new StateError(
        `The checkpoint of ${host} (${file}) has schema version ${problem.version}, and no migration leads from it to version ${SCHEMA_VERSION}`,
        { hint: 'finish the run with the sriov-lxc version that wrote it, or run with --reset to start this host afresh (the old file is kept aside)' },
      );
    case 'other-host':
      return new StateError(`The checkpoint at ${file} belongs to host ${problem.host}, not ${host}`, {
        hint: 'the state dir was copied or edited by hand: move that file away, or run with --reset to start this host afresh (the file is kept aside)',
      });
  }
}

/** `<file>.<why>-<time>`, not yet taken. */
function asidePath(file: string, why: string): string {
  const base = `${file}.${why}-${new Date().toISOString().replaceAll(':', '-')}`;
  let candidate = base;
  for (let n = 1; fs.existsSync(candidate); n++) candidate = `${base}-${n}`;
  return candidate;
}

/** Move a checkpoint file out of the way, never deleting it; returns where it went. */
function moveAside(file: string, why: string): string {
  const target = asidePath(file, why);
  fs.renameSync(file, target);
  return target;
}

/** Temp files of atomic writes a killed process left behind (atomically names them `<file>.tmp-<stamp>`). */
function removeInterruptedWrites(dir: string): void {
  const prefix = `${CONFIG_NAME}.json.tmp-`;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(prefix)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Make the rename of the last write durable: the checkpoint must survive the reboot it precedes. */
function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function assertStageId(id: string): void {
  if (!STAGE_ID.test(id)) throw new Error(`Invalid stage id ${JSON.stringify(id)}: expected lower-case letters, digits and "-"`);
}

function pendingRecord(): StageRecord {
  return { status: 'pending', attempts: 0 };
}

function now(): string {
  return new Date().toISOString();
}
