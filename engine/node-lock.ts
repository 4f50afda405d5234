// The lock on the node itself, held for a run. The controller's lock (state/lock.ts) is keyed by
// the inventory name in one state dir: the same node under another name, another --state-dir or
// --local on the node would all work on it at once. This one is a directory on the node, moved
// into place whole (holder and heartbeat already inside), and a heartbeat file the run touches
// while it works.
//
// It lives under /var/lib, not /run, so it survives the node's reboot: the run that holds it finds
// its own run id there when the node is back and goes on. Before it reboots the node, the run
// announces until when (node clock: now + --reboot-timeout) it may be silent; others honour that.
// A lock is stale, and taken over with a warning, when:
// - its holder ran on this very machine (same machine id, not merely the same hostname) and is gone;
// - it ran on the node (--local) and the node has rebooted since (the boot unit's run takes over);
// - its heartbeat is older than STALE_AFTER_S by the node's clock and no announced reboot is pending;
// - it has no readable holder and is older than HOLDERLESS_STALE_S (left by an older version).
// The run checks the lock is still its own at every heartbeat, before every stage's apply (its
// holder file read with the check's reads when the check reads the node, else asked on its own)
// and on return from a reboot, and stops naming the new holder when it is not.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LockedError } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import { isHolderAlive, parseLockHolder, readProcStat, type LockHolder } from '../state/lock.ts';

export const NODE_LOCK_DIR = '/var/lib/sriov-lxc/node.lock';
/** The run touches the heartbeat this often. */
export const HEARTBEAT_EVERY_MS = 60_000;
/** A heartbeat older than this (seconds, node clock) frees the lock, unless a reboot is announced. */
export const STALE_AFTER_S = 600;
/** A lock directory without a readable holder older than this (seconds) is stale. */
export const HOLDERLESS_STALE_S = 60;

export interface NodeLockHolder extends LockHolder {
  runId: string;
  /** The controller's machine id (engine/machine-id.ts): what "this machine" means. */
  machineId?: string;
  /** The run works on the node from the node itself (--local): it cannot outlive the node's boot. */
  local: boolean;
  /** The node's boot id when the lock was taken. */
  nodeBootId: string;
}

export interface NodeLockOptions {
  runId: string;
  /** The controller's machine id (controllerMachineId). */
  machineId: string;
  /** --local: this run works on the node from the node itself. */
  local: boolean;
  command: string;
  warn?: (message: string) => void;
  /** Where the lock directory is (tests); NODE_LOCK_DIR otherwise. */
  dir?: string;
}

export interface NodeLock {
  /** Touches the heartbeat; throws NodeLockLostError when the lock is no longer ours (transport errors are the caller's). */
  heartbeat(): Promise<void>;
  /** Throws NodeLockLostError unless the lock is still ours; withdraws a reboot announcement (we are back). */
  verify(): Promise<void>;
  /** Tells other runs this one may be silent for `seconds` (node clock) while the node reboots. */
  announceReboot(seconds: number): Promise<void>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
  /** The holder file, read with other reads (ObservingHost.readAlong): what judgeHolder judges. */
  readonly holderPath: string;
  /**
   * What verify() decides, from the holder file's text as a batch read it (undefined: no file):
   * throws NodeLockLostError unless the lock is ours. It withdraws no reboot announcement.
   */
  judgeHolder(holder: string | undefined): void;
}

/** The lock this run held was taken by another run (or removed): the run must stop. */
export class NodeLockLostError extends LockedError {}

// $1 lock dir, $2 holder line. The lock directory is made complete in a private temporary
// directory and renamed into place (rename(2) fails when the lock exists and is not empty).
// Prints "taken" or "held", then the holder, the seconds since the last heartbeat ("-" when
// none), the node's boot id, the lock directory's age, and the seconds left of an announced
// reboot with its deadline in seconds since the epoch ("-" when none), all by the node's clock.
const TAKE_SCRIPT = [
  'umask 077',
  'mkdir -p -m 0700 "${1%/*}" || exit',
  't=$(mktemp -d "$1.new.XXXXXXXXXX") || exit',
  `trap 'rm -rf -- "$t"' EXIT`,
  'printf "%s\\n" "$2" > "$t/holder" && touch "$t/heartbeat" || exit',
  // rename(2) would also replace an empty directory: the first test keeps a holder-less lock.
  'if ! [ -e "$1" ] && mv -T -- "$t" "$1" 2>/dev/null; then echo taken; exit; fi',
  'now=$(date +%s)',
  'echo held',
  'head -n 1 "$1/holder" 2>/dev/null || echo',
  'if [ -e "$1/heartbeat" ]; then echo $(( now - $(stat -c %Y "$1/heartbeat") )); else echo -; fi',
  'cat /proc/sys/kernel/random/boot_id',
  'echo $(( now - $(stat -c %Y "$1") ))',
  'u=$(cat "$1/reboot-until" 2>/dev/null); case $u in ""|*[!0-9]*) echo -;; *) echo $(( u - now )) $u;; esac',
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
// $1 lock dir, $2 run id: only our own lock is touched or removed. Not ours: prints its holder, exit 3.
const NOT_OURS = 3;
const OURS_OR_SAY_WHOSE = `grep -qF "\\"runId\\":\\"$2\\"" "$1/holder" 2>/dev/null || { head -n 1 "$1/holder" 2>/dev/null; exit ${NOT_OURS}; }`;
const HEARTBEAT_SCRIPT = `${OURS_OR_SAY_WHOSE}\ntouch "$1/heartbeat"`;
const VERIFY_SCRIPT = `${OURS_OR_SAY_WHOSE}\nrm -f -- "$1/reboot-until"`;
// $3 seconds: the deadline by the node's clock, written whole.
const ANNOUNCE_SCRIPT = `${OURS_OR_SAY_WHOSE}\necho $(( $(date +%s) + $3 )) > "$1/reboot-until.new" && mv -f -- "$1/reboot-until.new" "$1/reboot-until" && touch "$1/heartbeat"`;
// The parent goes too when the lock was all it held: a run that changed nothing leaves no trace.
const RELEASE_SCRIPT = 'grep -qF "\\"runId\\":\\"$2\\"" "$1/holder" 2>/dev/null || exit 0\nrm -rf -- "$1"\n' + 'rmdir -- "${1%/*}" 2>/dev/null\nexit 0';

function parseHolder(line: string): NodeLockHolder | undefined {
  const read = parseLockHolder(line);
  if (read === undefined) return undefined;
  const v = read.fields;
  if (typeof v.runId !== 'string') return undefined;
  return {
    ...read.holder,
    runId: v.runId,
    ...(typeof v.machineId === 'string' ? { machineId: v.machineId } : {}),
    local: v.local === true,
    nodeBootId: typeof v.nodeBootId === 'string' ? v.nodeBootId : '',
  };
}

function describe(h: NodeLockHolder): string {
  const machine = h.machineId === undefined ? '' : `, machine ${h.machineId.slice(0, 12)}`;
  return `pid ${h.pid} on ${h.hostname} (run ${h.runId}${machine}, since ${h.since}${h.command === '' ? '' : `, ${h.command}`})`;
}

/** What the take script saw of a held lock. */
interface HeldLock {
  holder: NodeLockHolder | undefined;
  heartbeatAgeS: number | undefined;
  nodeBootId: string | undefined;
  lockAgeS: number | undefined;
  /** Seconds left of an announced reboot (negative once it passed). */
  rebootLeftS: number | undefined;
  /** The announced deadline, seconds since the epoch by the node's clock. */
  rebootUntilS?: number | undefined;
}

/** A field of the take script's answer: undefined when missing, empty or "-" (none: not a number either). */
function numberOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Why the lock no longer holds the node, or undefined while its holder may still be working. */
export function staleBecause(held: HeldLock, myMachineId: string): string | undefined {
  const { holder } = held;
  if (holder === undefined) {
    if (held.lockAgeS !== undefined && held.lockAgeS > HOLDERLESS_STALE_S) return `it has had no readable holder for ${held.lockAgeS} s (a run died while taking it, or the disk was full)`;
    return undefined;
  }
  if (holder.local && held.nodeBootId !== undefined && holder.nodeBootId !== held.nodeBootId) return 'it ran on the node (--local), which has rebooted since';
  if (holder.machineId === myMachineId && !isHolderAlive(holder)) return 'its process is gone (it ran on this machine)';
  if (held.rebootLeftS !== undefined && held.rebootLeftS > 0) return undefined;
  if (held.heartbeatAgeS !== undefined && held.heartbeatAgeS > STALE_AFTER_S) {
    const reboot = held.rebootLeftS === undefined ? '' : ` and the reboot it announced was due back ${-held.rebootLeftS} s ago`;
    return `its last heartbeat was ${held.heartbeatAgeS} s ago${reboot}`;
  }
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
    machineId: options.machineId,
    local: options.local,
    nodeBootId: await host.bootId(),
  };
  const line = JSON.stringify(me);
  for (let attempt = 0; ; attempt++) {
    const out = (await host.run(['sh', '-c', TAKE_SCRIPT, 'sh', dir, line])).stdout.split('\n');
    if (out[0] === 'taken') break;
    const holderLine = out[1] ?? '';
    const held: HeldLock = {
      holder: parseHolder(holderLine),
      heartbeatAgeS: numberOrUndefined(out[2]),
      nodeBootId: out[3]?.trim() || undefined,
      lockAgeS: numberOrUndefined(out[4]),
      rebootLeftS: numberOrUndefined(out[5]?.split(' ')[0]),
      rebootUntilS: numberOrUndefined(out[5]?.split(' ')[1]),
    };
    const { holder } = held;
    if (holder?.runId === options.runId) break;
    const why = staleBecause(held, options.machineId);
    if (why === undefined || attempt > 2) {
      if (holder === undefined) {
        throw new LockedError(`${host.name} is locked by another sriov-lxc run (${dir} on the node has no readable holder yet)`, {
          hint: `wait for the other run; a lock without a holder is taken over after ${HOLDERLESS_STALE_S} s`,
        });
      }
      const until = held.rebootUntilS === undefined ? '' : ` (its announced deadline: ${new Date(held.rebootUntilS * 1000).toISOString()} by the node's clock)`;
      const rebooting = held.rebootLeftS !== undefined && held.rebootLeftS > 0 ? `; it rebooted the node and may be silent for ${held.rebootLeftS} s more${until}` : '';
      throw new LockedError(`${host.name} is being worked on by ${describe(holder)}: the node's lock ${dir} is held${rebooting}`, {
        hint: `wait for that run to finish (the same node under another inventory name or state dir, or --local on it, shares this lock); if you are sure it is gone, remove ${dir} on the node`,
      });
    }
    const taken = await host.exec(['sh', '-c', TAKE_OVER_SCRIPT, 'sh', dir, holderLine, `${process.pid}-${attempt}`]);
    if (taken.code === 0) options.warn?.(`${host.name}: took over the node's stale lock${holder === undefined ? '' : ` of ${describe(holder)}`}: ${why}`);
  }
  const lost = (holderLine: string): NodeLockLostError => {
    const now = parseHolder(holderLine);
    return new NodeLockLostError(`${host.name}: this run (${options.runId}) no longer holds the node's lock ${dir}: ${now ? `it is held by ${describe(now)}` : 'it was removed'}; stopped so that two runs do not work on the node at once`, {
      hint: now ? 'let that run finish, then run the same command again: it resumes from the checkpoint' : `check who removed ${dir} on the node, then run the same command again`,
    });
  };
  const ours = async (script: string, ...args: string[]): Promise<void> => {
    const result = await host.exec(['sh', '-c', script, 'sh', dir, options.runId, ...args]);
    if (result.code === NOT_OURS) throw lost(result.stdout.split('\n')[0] ?? '');
    if (result.code !== 0) throw new LockedError(`${host.name}: cannot update the node's lock ${dir} (exit code ${result.code}): ${result.stderr.trim()}`);
  };
  return {
    heartbeat: () => ours(HEARTBEAT_SCRIPT),
    verify: () => ours(VERIFY_SCRIPT),
    announceReboot: (seconds: number) => ours(ANNOUNCE_SCRIPT, String(Math.ceil(seconds))),
    holderPath: `${dir}/holder`,
    // The scripts' test (OURS_OR_SAY_WHOSE: grep -F of the run id in the holder file), on its text.
    judgeHolder: (holder) => {
      if (holder?.includes(`"runId":"${options.runId}"`)) return;
      throw lost(holder?.split('\n')[0] ?? '');
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
