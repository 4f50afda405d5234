// The run journal of one host: <stateDir>/hosts/<host>/journal.jsonl, append-only JSON lines.
// Each entry is one write to a file opened with O_APPEND, so entries never interleave; a process
// killed mid-write can leave a torn last line, which the reader skips and the next writer ends.

import fs from 'node:fs';
import { ensureHostDir, journalPath } from './state-dir.ts';

/**
 * One event. Events the engine writes: run-start, stage-start, stage-done, stage-failed,
 * reboot-requested, boot-seen, run-end (and others it names); any extra fields go along.
 */
export interface JournalRecord {
  runId: string;
  event: string;
  stage?: string;
  [field: string]: unknown;
}

export type JournalEntry = JournalRecord & { ts: string };

export class Journal {
  readonly path: string;
  #checkedTail = false;

  constructor(stateDir: string, host: string) {
    ensureHostDir(stateDir, host);
    this.path = journalPath(stateDir, host);
  }

  append(record: JournalRecord): void {
    let line = JSON.stringify({ ts: new Date().toISOString(), ...record }) + '\n';
    // Never through a link (O_NOFOLLOW: ELOOP), and only root's to read (0600, also for a file
    // an older sriov-lxc left 0644).
    const fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    try {
      if (!this.#checkedTail) {
        fs.fchmodSync(fd, 0o600);
        // A torn line left by a killed writer must not swallow this entry: end it first.
        if (!endsWithNewline(fd)) line = '\n' + line;
        this.#checkedTail = true;
      }
      fs.writeSync(fd, line);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function endsWithNewline(fd: number): boolean {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

/** The entries of a host's journal (optionally of one run), and how many damaged lines were skipped. */
export function readJournal(stateDir: string, host: string, runId?: string): { entries: JournalEntry[]; skipped: number } {
  let text: string;
  try {
    text = fs.readFileSync(journalPath(stateDir, host), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 };
    throw error;
  }
  const entries: JournalEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = parseEntry(line);
    if (entry === undefined) skipped++;
    else if (runId === undefined || entry.runId === runId) entries.push(entry);
  }
  return { entries, skipped };
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const entry = value as Record<string, unknown>;
    if (typeof entry['ts'] !== 'string' || typeof entry['runId'] !== 'string' || typeof entry['event'] !== 'string') return undefined;
    return entry as JournalEntry;
  } catch {
    return undefined;
  }
}
