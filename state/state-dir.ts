// Where sriov-lxc keeps its state, and the layout under it:
//   <stateDir>/known_hosts                      pinned SSH host keys (written by hosts/)
//   <stateDir>/hosts/<host>/checkpoint.json     the checkpoint (state/checkpoint.ts)
//   <stateDir>/hosts/<host>/lock                the per-host lock (state/lock.ts)
//   <stateDir>/hosts/<host>/journal.jsonl       the run journal (state/journal.ts)
//   <stateDir>/hosts/<host>/runs/<runId>/       per-run artefacts (state/results.ts)

import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../core/errors.ts';

export const STATE_DIR_ENV = 'SRIOV_LXC_STATE_DIR';
/** The state dir of a run on the node itself (`--local`). */
export const LOCAL_STATE_DIR = '/var/lib/sriov-lxc';

export interface StateDirChoice {
  /** `--state-dir`, wins over everything else. */
  flag?: string | undefined;
  /** `--local`: the run is on the node, so its state lives with the node's system state. */
  local?: boolean | undefined;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

/** The state dir: `--state-dir` > $SRIOV_LXC_STATE_DIR > `--local` → /var/lib/sriov-lxc > XDG state home. */
export function resolveStateDir(choice: StateDirChoice = {}): string {
  const env = choice.env ?? process.env;
  if (choice.flag !== undefined && choice.flag !== '') return path.resolve(choice.flag);
  const fromEnv = env[STATE_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  if (choice.local === true) return LOCAL_STATE_DIR;
  // The XDG spec says a relative $XDG_STATE_HOME is invalid and must be ignored.
  const xdg = env['XDG_STATE_HOME'];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'sriov-lxc');
  return path.join(choice.homeDir ?? os.homedir(), '.local', 'state', 'sriov-lxc');
}

/**
 * Refuse a name that would leave its directory when used as a path component. Host names are
 * validated by the inventory already; this is the last line of defence before the filesystem.
 */
export function assertPathComponent(kind: string, name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new UsageError(`Invalid ${kind} ${JSON.stringify(name)}: it is used as a directory name in the state dir`, {
      hint: `use a ${kind} without "/", "\\", NUL, and not "." or ".."`,
    });
  }
}

export function hostDir(stateDir: string, host: string): string {
  assertPathComponent('host name', host);
  return path.join(stateDir, 'hosts', host);
}

export function checkpointPath(stateDir: string, host: string): string {
  return path.join(hostDir(stateDir, host), 'checkpoint.json');
}

export function lockPath(stateDir: string, host: string): string {
  return path.join(hostDir(stateDir, host), 'lock');
}

export function journalPath(stateDir: string, host: string): string {
  return path.join(hostDir(stateDir, host), 'journal.jsonl');
}

export function runsDir(stateDir: string, host: string): string {
  return path.join(hostDir(stateDir, host), 'runs');
}

export function runDir(stateDir: string, host: string, runId: string): string {
  assertPathComponent('run id', runId);
  return path.join(runsDir(stateDir, host), runId);
}

export function knownHostsPath(stateDir: string): string {
  return path.join(stateDir, 'known_hosts');
}
