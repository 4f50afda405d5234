// Processes the lab started, identified by pid AND start time (so a recycled pid is never taken for
// ours), and stopped only through that identity.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRecord {
  pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  startTime: string;
}

/** The start time of a process, from /proc/PID/stat (the command name may contain spaces). */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export function recordOf(pid: number): ProcessRecord {
  const startTime = startTimeOf(pid);
  if (startTime === undefined) throw new Error(`process ${pid} vanished before it could be recorded`);
  return { pid, startTime };
}

/** Running (not a zombie) and still the process we recorded. */
export function isRunning(record: ProcessRecord): boolean {
  if (startTimeOf(record.pid) !== record.startTime) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${record.pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Signals the recorded process if it is still ours; true when it was. */
export function signalRecord(record: ProcessRecord, signal: NodeJS.Signals): boolean {
  if (!isRunning(record)) return false;
  try {
    process.kill(record.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, until the process is gone. */
export async function stopRecord(record: ProcessRecord, graceMs = 3000): Promise<void> {
  if (!signalRecord(record, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (isRunning(record) && Date.now() < deadline) await sleep(50);
  if (signalRecord(record, 'SIGKILL')) {
    while (isRunning(record)) await sleep(20);
  }
}
