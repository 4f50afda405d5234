// Where sriov-lxc keeps its state, and the layout under it:
//   <stateDir>/known_hosts                      pinned SSH host keys (written by hosts/)
//   <stateDir>/hosts/<host>/checkpoint.json     the checkpoint (state/checkpoint.ts)
//   <stateDir>/hosts/<host>/lock                the per-host lock (state/lock.ts)
//   <stateDir>/hosts/<host>/journal.jsonl       the run journal (state/journal.ts)
//   <stateDir>/hosts/<host>/runs/<runId>/       per-run artefacts (state/results.ts)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../core/errors.ts';
import { ancestorProblem, makePrivateDir, modeText, privateDirProblem } from './private-dir.ts';

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

/**
 * Trust of the state dir: root writes checkpoints, the journal and results there and reads them
 * back to decide what to do, so a state dir another user owns or can write (or a link in its
 * place) would let that user choose both. `create`: make it 0700 when missing (a dry run does not).
 * Throws UsageError naming the path, its owner and mode, and the fix.
 */
export function prepareStateDir(stateDir: string, options: { create: boolean }): void {
  const uid = currentUid();
  const above = ancestorProblem(stateDir, uid, { missingOk: true });
  if (above !== undefined) {
    throw new UsageError(`The state dir ${stateDir} is not safe: ${above}, so another user could replace it`, {
      hint: `choose a state dir whose parent directories only root and uid ${uid} can write, with --state-dir or ${STATE_DIR_ENV}`,
    });
  }
  if (options.create) makePrivateDir(stateDir);
  else if (!fs.existsSync(stateDir)) return;
  assertPrivateDir('state dir', stateDir, uid);
}

/** <stateDir>/hosts/<host>, created 0700 (with the state dir and hosts/) when missing; each checked as prepareStateDir does. */
export function ensureHostDir(stateDir: string, host: string): string {
  const dir = hostDir(stateDir, host);
  const uid = currentUid();
  const checks: Array<[string, string]> = [['state dir', stateDir], ['state directory', path.dirname(dir)], ['state directory', dir]];
  // Those that exist are checked before anything is created in them, then all of them.
  for (const [what, d] of checks) if (fs.existsSync(d)) assertPrivateDir(what, d, uid);
  makePrivateDir(dir);
  for (const [what, d] of checks) assertPrivateDir(what, d, uid);
  return dir;
}

function assertPrivateDir(what: string, dir: string, uid: number): void {
  const problem = privateDirProblem(dir, uid);
  if (problem === undefined) return;
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  const found = stat === undefined ? '' : ` (owner uid ${stat.uid}, mode ${modeText(stat.mode)})`;
  throw new UsageError(`Refusing the ${what} ${dir}${found}: ${problem}; another user could choose what sriov-lxc writes and reads there`, {
    hint: stat?.isSymbolicLink() === true || stat?.isDirectory() === false
      ? `use a real directory: --state-dir <path> or ${STATE_DIR_ENV}`
      : `if it is yours: chown ${uid} ${dir} && chmod 700 ${dir}; else choose another with --state-dir or ${STATE_DIR_ENV}`,
  });
}

function currentUid(): number {
  return process.getuid?.() ?? -1;
}
