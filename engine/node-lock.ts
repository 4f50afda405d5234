// The lock on the node itself, held for a run. The controller's lock (state/lock.ts) is keyed by
// the inventory name in one state dir: the same node under another name, another --state-dir or
// --local on the node would all work on it at once. This one is a directory on the node, created
// atomically (mkdir), with a holder file (controller host, pid, boot id, run id, since) and a
// heartbeat file the run touches while it works.
//
// It lives under /var/lib, not /run, so it survives the node's reboot: the run that holds it finds
// its own run id there when the node is back and goes on. A lock is stale, and taken over with a
// warning, when its controller is this machine and the holder is gone (another boot, dead or
// re-used pid), or when its heartbeat is older than STALE_AFTER_S by the node's own clock (a
// controller elsewhere stopped working on it: crashed, or cut off for longer than any stage).
// With --local the run that reboots the node dies with it: a --local holder from an earlier boot
// of the node is stale, and the boot unit's run takes its lock over (with the warning).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LockedError } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import { isHolderAlive, readProcStat, type LockHolder } from '../state/lock.ts';

export const NODE_LOCK_DIR = '/var/lib/sriov-lxc/node.lock';
/** The run touches the heartbeat this often. */
export const HEARTBEAT_EVERY_MS = 60_000;
/** A heartbeat older than this (seconds, node clock) frees the lock. */
export const STALE_AFTER_S = 600;

export interface NodeLockHolder extends LockHolder {
  runId: string;
  /** The run works on the node from the node itself (--local): it cannot outlive the node's boot. */
  local: boolean;
  /** The node's boot id when the lock was taken. */
  nodeBootId: string;
}

export interface NodeLockOptions {
  runId: string;
  /** --local: this run works on the node from the node itself. */
  local: boolean;
  command: string;
  warn?: (message: string) => void;
  /** Where the lock directory is (tests); NODE_LOCK_DIR otherwise. */
  dir?: string;
}

export interface NodeLock {
  /** Touches the heartbeat (errors are the caller's: the node may be rebooting). */
  heartbeat(): Promise<void>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

// $1 lock dir, $2 holder line. Prints "taken" or "held", then the holder, the seconds since the
// last heartbeat ("-" when none yet) by the node's clock, and the node's boot id.
const TAKE_SCRIPT = [
  'umask 077',
  'mkdir -p -m 0700 "${1%/*}" || exit',
  'if mkdir -m 0700 "$1" 2>/dev/null; then',
  '  printf "%s\\n" "$2" > "$1/holder.new" && mv -f "$1/holder.new" "$1/holder" && touch "$1/heartbeat" && echo taken',
  '  exit',
  'fi',
  'echo held',
  'head -n 1 "$1/holder" 2>/dev/null || echo',
  'if [ -e "$1/heartbeat" ]; then echo $(( $(date +%s) - $(stat -c %Y "$1/heartbeat") )); else echo -; fi',
  'cat /proc/sys/kernel/random/boot_id',
].join('\n');
// $1 lock dir, $2 the holder line judged stale, $3 a unique suffix. Moves the stale lock aside only
// if it still has that holder; if another run replaced it in between, its lock is put back.
const TAKE_OVER_SCRIPT = [
  '[ "$(head -n 1 "$1/holder" 2>/dev/null)" = "$2" ] || exit 1',
  'mv "$1" "$1.stale-$3" || exit 1',
  'if [ "$(head -n 1 "$1.stale-$3/holder" 2>/dev/null)" = "$2" ]; then rm -rf -- "$1.stale-$3"; exit 0; fi',
  'mv "$1.stale-$3" "$1" 2>/dev/null || rm -rf -- "$1.stale-$3"',
  'exit 1',
].join('\n');
// $1 lock dir, $2 run id: only our own lock is touched or removed.
const OURS = 'grep -qF "\\"runId\\":\\"$2\\"" "$1/holder" 2>/dev/null';
const HEARTBEAT_SCRIPT = `${OURS} && touch "$1/heartbeat"`;
// The parent goes too when the lock was all it held: a run that changed nothing leaves no trace.
const RELEASE_SCRIPT = `${OURS} || exit 0\nrm -rf -- "$1"\n` + 'rmdir -- "${1%/*}" 2>/dev/null\nexit 0';

function parseHolder(line: string): NodeLockHolder | undefined {
  try {
    const v = JSON.parse(line) as Partial<NodeLockHolder>;
    if (typeof v.pid !== 'number' || typeof v.hostname !== 'string' || typeof v.runId !== 'string' || typeof v.since !== 'string') return undefined;
    return {
      pid: v.pid,
      hostname: v.hostname,
      bootId: typeof v.bootId === 'string' ? v.bootId : undefined,
      startTime: typeof v.startTime === 'number' ? v.startTime : undefined,
      since: v.since,
      command: typeof v.command === 'string' ? v.command : '',
      runId: v.runId,
      local: v.local === true,
      nodeBootId: typeof v.nodeBootId === 'string' ? v.nodeBootId : '',
    };
  } catch {
    return undefined;
  }
}

function describe(h: NodeLockHolder): string {
  return `pid ${h.pid} on ${h.hostname} (run ${h.runId}, since ${h.since}${h.command === '' ? '' : `, ${h.command}`})`;
}

/** Why `holder` no longer holds the node, or undefined while it may still be working. */
function staleBecause(holder: NodeLockHolder, heartbeatAgeS: number | undefined, nodeBootId: string | undefined, me: string): string | undefined {
  if (holder.local && nodeBootId !== undefined && holder.nodeBootId !== nodeBootId) return 'it ran on the node (--local), which has rebooted since';
  if (holder.hostname === me && !isHolderAlive(holder)) return 'its process is gone';
  if (heartbeatAgeS !== undefined && heartbeatAgeS > STALE_AFTER_S) return `its last heartbeat was ${heartbeatAgeS} s ago`;
  return undefined;
}

/**
 * Takes the node's lock for run `runId`, or throws LockedError naming the holder. The run's own
 * lock (after a reboot) is taken back as it is.
 */
export async function acquireNodeLock(host: Host, options: NodeLockOptions): Promise<NodeLock> {
  const dir = options.dir ?? NODE_LOCK_DIR;
  const me: NodeLockHolder = {
    pid: process.pid,
    hostname: hostname(),
    bootId: localBootId(),
    startTime: readProcStat(process.pid)?.startTime,
    since: new Date().toISOString(),
    command: options.command,
    runId: options.runId,
    local: options.local,
    nodeBootId: await host.bootId(),
  };
  const line = JSON.stringify(me);
  for (let attempt = 0; ; attempt++) {
    const out = (await host.run(['sh', '-c', TAKE_SCRIPT, 'sh', dir, line])).stdout.split('\n');
    if (out[0] === 'taken') break;
    const holderLine = out[1] ?? '';
    const holder = parseHolder(holderLine);
    const age = out[2] === undefined || out[2] === '-' ? undefined : Number(out[2]);
    const nodeBootId = out[3]?.trim() || undefined;
    if (holder === undefined) {
      throw new LockedError(`${host.name} is locked by another sriov-lxc run (${dir} on the node has no readable holder yet)`, {
        hint: `wait for the other run; if none works on ${host.name}, remove ${dir} on the node`,
      });
    }
    if (holder.runId === options.runId) break;
    const why = staleBecause(holder, age, nodeBootId, me.hostname);
    if (why === undefined || attempt > 2) {
      throw new LockedError(`${host.name} is being worked on by ${describe(holder)}: the node's lock ${dir} is held`, {
        hint: `wait for that run to finish (the same node under another inventory name or state dir, or --local on it, shares this lock); if you are sure it is gone, remove ${dir} on the node`,
      });
    }
    const taken = await host.exec(['sh', '-c', TAKE_OVER_SCRIPT, 'sh', dir, holderLine, `${process.pid}-${attempt}`]);
    if (taken.code === 0) options.warn?.(`${host.name}: took over the node's stale lock of ${describe(holder)}: ${why}`);
  }
  return {
    heartbeat: async () => {
      await host.exec(['sh', '-c', HEARTBEAT_SCRIPT, 'sh', dir, options.runId]);
    },
    release: async () => {
      await host.exec(['sh', '-c', RELEASE_SCRIPT, 'sh', dir, options.runId]);
    },
  };
}

function localBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}
