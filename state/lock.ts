// The per-host lock: <stateDir>/hosts/<host>/lock, a JSON file naming its holder. Created complete
// (written to a temp file, then hard-linked into place, which fails if the lock exists), so a
// reader never sees a half-written lock. A lock whose holder is gone is taken over with a warning;
// a lock held by a live process, or by a process on another machine, is refused.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { LockedError } from '../core/errors.ts';
import { ensureHostDir, lockPath } from './state-dir.ts';

export interface LockHolder {
  pid: number;
  /** os.hostname() of the machine the holder runs on. */
  hostname: string;
  /** That machine's boot id when the lock was taken: a reboot since then frees the lock. */
  bootId: string | undefined;
  /** The holder's start time (/proc/<pid>/stat), which tells a re-used pid from the holder. */
  startTime: number | undefined;
  /** ISO time the lock was taken. */
  since: string;
  command: string;
}

export interface AcquireLockOptions {
  /** The command line of this run, shown to whoever is refused. */
  command: string;
  /** Told when a stale lock is taken over. */
  warn?: (message: string) => void;
}

/** Process state and start time from the text of /proc/<pid>/stat; the name in parentheses may hold anything. */
export function parseProcStat(text: string): { state: string; startTime: number } {
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 1).trim().split(/\s+/);
  // After the name come field 3 (state) ... field 22 (starttime), see proc(5).
  const state = fields[0];
  const startTime = Number(fields[19]);
  if (close < 0 || state === undefined || !Number.isInteger(startTime)) {
    throw new Error(`Unexpected /proc/<pid>/stat format: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { state, startTime };
}

/** State and start time of a process on this machine; undefined if there is no such process or no /proc. */
export function readProcStat(pid: number): { state: string; startTime: number } | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function readBootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether the holder of a lock taken on this machine is still running. */
export function isHolderAlive(holder: LockHolder): boolean {
  const bootId = readBootId();
  if (holder.bootId !== undefined && bootId !== undefined && holder.bootId !== bootId) return false;
  const stat = readProcStat(holder.pid);
  if (stat === undefined) {
    if (fs.existsSync('/proc/self/stat')) return false;
    // No procfs: ask the kernel; EPERM means the process exists under another user.
    try {
      process.kill(holder.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  // A killed process can stay a zombie for seconds before it is reaped: it is gone all the same.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.startTime === undefined || holder.startTime === stat.startTime;
}

/**
 * A lock's holder record (JSON, one object): the fields every lock's holder has (this file's lock
 * and the node lock of engine/node-lock.ts), and the whole object for a lock whose record has more.
 * Undefined when the text is not such a record.
 */
export function parseLockHolder(text: string): { holder: LockHolder; fields: Readonly<Record<string, unknown>> } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<LockHolder>;
  if (typeof v.pid !== 'number' || typeof v.hostname !== 'string' || typeof v.since !== 'string') return undefined;
  return {
    holder: {
      pid: v.pid,
      hostname: v.hostname,
      bootId: typeof v.bootId === 'string' ? v.bootId : undefined,
      startTime: typeof v.startTime === 'number' ? v.startTime : undefined,
      since: v.since,
      command: typeof v.command === 'string' ? v.command : '',
    },
    fields: value as Record<string, unknown>,
  };
}

function describe(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.hostname} since ${holder.since}${holder.command === '' ? '' : ` (${holder.command})`}`;
}

/** Put a complete lock file at `file` unless one exists; false if it does. */
function createLock(file: string, holder: LockHolder): boolean {
  const temp = `${file}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, JSON.stringify(holder) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Move the stale lock (inode `ino`) out of the way; true if it was that one. If another run took it
 * over meanwhile, the rename moved that run's live lock, and it is put back.
 */
function removeStaleLock(file: string, ino: number): boolean {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    if (fs.statSync(file).ino !== ino) return false;
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (fs.statSync(aside).ino === ino) {
    fs.rmSync(aside);
    return true;
  }
  try {
    fs.linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  fs.rmSync(aside);
  return false;
}

/**
 * Take the lock of `host`, or throw LockedError saying who holds it. Returns the release function;
 * the lock is also released when the process exits normally. A lock left by a process that is gone
 * (dead or zombie pid, re-used pid, or a reboot since) on this machine is taken over with a warning.
 */
export function acquireLock(stateDir: string, host: string, options: AcquireLockOptions): () => void {
  const file = lockPath(stateDir, host);
  ensureHostDir(stateDir, host);
  const me: LockHolder = {
    pid: process.pid,
    hostname: os.hostname(),
    bootId: readBootId(),
    startTime: readProcStat(process.pid)?.startTime,
    since: new Date().toISOString(),
    command: options.command,
  };
  // Each pass either takes the lock, refuses, or removes a stale lock; the loop ends when a
  // competing run wins (it is then alive and refused) or the lock is ours.
  for (;;) {
    if (createLock(file, me)) break;
    const found = readLockFile(file);
    if (found === undefined) continue;
    const { text, ino } = found;
    const holder = parseLockHolder(text)?.holder;
    if (holder === undefined) {
      throw new LockedError(`${host} is locked, but its lock file ${file} is not readable`, {
        hint: `if no other sriov-lxc run works on ${host}, remove ${file}`,
      });
    }
    if (holder.hostname !== me.hostname) {
      throw new LockedError(`${host} is locked by ${describe(holder)}: a run from another machine, which cannot be checked from here`, {
        hint: `wait for it to finish; if you are sure it is gone, remove ${file}`,
      });
    }
    if (isHolderAlive(holder)) {
      throw new LockedError(`${host} is locked by ${describe(holder)}: another sriov-lxc run is in progress`, {
        hint: `wait for it to finish; if you are sure it is gone, remove ${file}`,
      });
    }
    if (removeStaleLock(file, ino)) {
      options.warn?.(`${host}: took over a stale lock of ${describe(holder)}, which is no longer running`);
    }
  }

  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    heldLocks.delete(release);
    // Only our own lock: after a takeover by someone else the file is theirs.
    const current = readLockHolder(file);
    if (current?.pid === me.pid && current.since === me.since && current.hostname === me.hostname) {
      fs.rmSync(file, { force: true });
    }
  };
  heldLocks.add(release);
  return release;
}

// One exit listener for all locks of this process: a fleet run holds one lock per host.
const heldLocks = new Set<() => void>();
process.on('exit', () => {
  for (const release of [...heldLocks]) release();
});

/** Text and inode of the lock file, read through one descriptor so both are of the same file. */
function readLockFile(file: string): { text: string; ino: number } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return { text: fs.readFileSync(fd, 'utf8'), ino: fs.fstatSync(fd).ino };
  } finally {
    fs.closeSync(fd);
  }
}

function readLockHolder(file: string): LockHolder | undefined {
  try {
    return parseLockHolder(fs.readFileSync(file, 'utf8'))?.holder;
  } catch {
    return undefined;
  }
}
