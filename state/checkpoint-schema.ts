// Validation and version migration of checkpoint files. A file is either a valid checkpoint of the
// current schema version (after migration), or a classified problem the caller turns into an error.

import { z } from 'zod';
import { SCHEMA_VERSION, type HostCheckpoint, type StageRecord } from './types.ts';

/** Stage ids are stable, lower-case, hyphenated (engine/stage.ts); anything else is not ours. */
export const STAGE_ID = /^[a-z0-9][a-z0-9-]*$/;

const isoTime = z.iso.datetime({ offset: true });

const stageRecordSchema: z.ZodType<StageRecord> = z.strictObject({
  status: z.enum(['pending', 'running', 'rebooting', 'done', 'failed']),
  attempts: z.number().int().nonnegative(),
  inputsHash: z.string().optional(),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  bootId: z.string().optional(),
  changed: z.boolean().optional(),
  durationMs: z.number().nonnegative().optional(),
  error: z
    .strictObject({
      message: z.string(),
      hint: z.string().optional(),
      command: z.string().optional(),
      code: z.number().int().optional(),
      stderrTail: z.string().optional(),
    })
    .optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
  reboot: z
    .strictObject({
      prevBootId: z.string(),
      /** What the stage expected of the new boot, in its words. */
      expected: z.string().optional(),
      /** Checkpoints before the engine stopped naming kernel params. */
      expectedParams: z.array(z.string()).optional(),
      issued: z.number().int().positive(),
      requestedAt: isoTime,
    })
    .optional(),
});

export const hostCheckpointSchema: z.ZodType<HostCheckpoint> = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  host: z.string().min(1),
  /** '' until the first run records itself (CheckpointStore.newRun). */
  runId: z.string(),
  planHash: z.string().min(1),
  updatedAt: isoTime,
  boots: z.array(z.strictObject({ bootId: z.string().min(1), seenAt: isoTime })),
  stages: z.record(z.string().regex(STAGE_ID, 'not a stage id'), stageRecordSchema),
});

/** Turns a checkpoint of schema version N into one of version N + 1 (schemaVersion is set for it). */
export type Migration = (old: Record<string, unknown>) => Record<string, unknown>;
export type MigrationTable = Readonly<Record<number, Migration>>;

/** Migrations of older checkpoint files, keyed by the version they start from. None yet: v1 is the first. */
export const checkpointMigrations: MigrationTable = {};

export type CheckpointProblem =
  /** Not JSON, not an object, or not a valid checkpoint: the file is damaged. */
  | { kind: 'corrupt'; reason: string }
  /** Written by a newer sriov-lxc. */
  | { kind: 'newer'; version: number }
  /** Older, and no migration leads from its version to ours. */
  | { kind: 'unmigratable'; version: number }
  /** A valid checkpoint, of another host. */
  | { kind: 'other-host'; host: string };

export type CheckpointLoad =
  | { ok: true; checkpoint: HostCheckpoint; migratedFrom: number | undefined }
  | { ok: false; problem: CheckpointProblem };

/** The JSON text of a checkpoint file as an object; throws `SyntaxError` saying what is wrong. */
export function parseCheckpointText(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(text.trim() === '' ? 'the file is empty' : `not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SyntaxError(`not a JSON object but ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** Apply `migrations` from the file's version up to ours, one version at a time; undefined if a step is missing. */
export function migrateCheckpoint(raw: Record<string, unknown>, migrations: MigrationTable): Record<string, unknown> | undefined {
  let current = raw;
  for (let version = raw['schemaVersion'] as number; version < SCHEMA_VERSION; version++) {
    const migrate = migrations[version];
    if (migrate === undefined) return undefined;
    current = { ...migrate(current), schemaVersion: version + 1 };
  }
  return current;
}

/** Classify a parsed checkpoint file of `host`: valid (migrated if older), or what is wrong with it. */
export function loadCheckpoint(raw: Record<string, unknown>, host: string, migrations: MigrationTable): CheckpointLoad {
  const version = raw['schemaVersion'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    return { ok: false, problem: { kind: 'corrupt', reason: 'schemaVersion is missing or not a whole number' } };
  }
  if (version > SCHEMA_VERSION) return { ok: false, problem: { kind: 'newer', version } };
  const migrated = migrateCheckpoint(raw, migrations);
  if (migrated === undefined) return { ok: false, problem: { kind: 'unmigratable', version } };
  const result = hostCheckpointSchema.safeParse(migrated);
  if (!result.success) return { ok: false, problem: { kind: 'corrupt', reason: describeIssues(result.error) } };
  if (result.data.host !== host) return { ok: false, problem: { kind: 'other-host', host: result.data.host } };
  return { ok: true, checkpoint: result.data, migratedFrom: version === SCHEMA_VERSION ? undefined : version };
}

/** The first few schema issues on one line, each with where it is: `stages.reboot.status: Invalid option ...`. */
export function describeIssues(error: z.ZodError, max = 3): string {
  const lines = error.issues.slice(0, max).map((issue) => {
    const where = issue.path.map(String).join('.');
    return where === '' ? issue.message : `${where}: ${issue.message}`;
  });
  const more = error.issues.length - max;
  return lines.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}
