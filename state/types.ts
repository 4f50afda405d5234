// The checkpoint of one host (README "State"), as stored by state/checkpoint.ts.

export const SCHEMA_VERSION = 1;

export type StageStatus = 'pending' | 'running' | 'rebooting' | 'done' | 'failed';

export interface StageError {
  message: string;
  hint?: string;
  command?: string;
  code?: number;
  stderrTail?: string;
}

export interface StageRecord {
  status: StageStatus;
  attempts: number;
  inputsHash?: string;
  startedAt?: string;
  finishedAt?: string;
  /** boot_id at the time the status was written. */
  bootId?: string;
  /** Whether the last run changed the host (apply ran). */
  changed?: boolean;
  durationMs?: number;
  error?: StageError;
  outputs?: Record<string, unknown>;
  /** Reboot protocol: boot id before the reboot, what the new boot must show, reboots issued. */
  reboot?: {
    prevBootId: string;
    /** In the rebooting stage's words (stages.ts `expects`). */
    expected?: string;
    /** Checkpoints written before the engine stopped naming kernel params. */
    expectedParams?: string[];
    issued: number;
    requestedAt: string;
  };
}

export interface BootRecord {
  bootId: string;
  seenAt: string;
}

export interface HostCheckpoint {
  schemaVersion: number;
  host: string;
  runId: string;
  planHash: string;
  updatedAt: string;
  boots: BootRecord[];
  stages: Record<string, StageRecord>;
}
