// Per-run artefacts of a host: <stateDir>/hosts/<host>/runs/<runId>/<name> (benchmark results,
// reports). Written atomically and 0600 (dirs 0700), so a reader sees the old file or the new one, never half of one.

import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from './atomic-file.ts';
import { assertPathComponent, ensureHostDir, runDir, runsDir } from './state-dir.ts';

/** Write an artefact of run `runId` (temp file, fsync, rename); returns its path. */
export function writeRunArtifact(stateDir: string, host: string, runId: string, name: string, data: string | Uint8Array): string {
  assertPathComponent('artefact name', name);
  const file = path.join(runDir(stateDir, host, runId), name);
  ensureHostDir(stateDir, host);
  writeFileAtomicSync(file, data, 0o600);
  return file;
}

/** An artefact of run `runId` as text; undefined if that run has no such artefact. */
export function readRunArtifact(stateDir: string, host: string, runId: string, name: string): string | undefined {
  assertPathComponent('artefact name', name);
  try {
    return fs.readFileSync(path.join(runDir(stateDir, host, runId), name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The run ids of a host that have artefacts, newest first. Run ids start with their ISO start time
 * (the provision CLI makes them so), so the newest is the greatest.
 */
export function listRuns(stateDir: string, host: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(runsDir(stateDir, host), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .reverse();
}
