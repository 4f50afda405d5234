// Acting on the nodes of a running lab from outside, as an operator with a BMC would: reset or
// power on a node, switch firmware faults, run a command on a node directly (not over SSH),
// and read the nodes' power state.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { nodeCpuinfo } from './cpuinfo.ts';
import { FAULT_DEFAULT_ARG, FAULTS, isFault, type Fault } from './faults.ts';
import { labInfo, nodeOf } from './info.ts';
import { NODE_PATH } from './install.ts';
import { nodePaths } from './layout.ts';
import { writeNodeFile } from './node-path.ts';
import { readPower, type PowerState } from './power.ts';
import { isRunning, signalRecord, type ProcessRecord } from './processes.ts';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

function paths(dir: string | undefined, name: string): ReturnType<typeof nodePaths> {
  return nodePaths(nodeOf(labInfo(dir), name).dir);
}

export function nodePower(dir: string | undefined, name: string): PowerState | undefined {
  return readPower(paths(dir, name).power);
}

/** When this boot's sshd of the node accepted connections (ms since the epoch), if it has. */
export function nodeSshdReadyAt(dir: string | undefined, name: string): number | undefined {
  const file = join(paths(dir, name).run, 'sshd-ready');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}

/** Waits until the node is up in a boot other than `notBootId`; returns its power state. */
export async function waitForNode(
  dir: string | undefined,
  name: string,
  options: { notBootId?: string; timeoutMs?: number } = {},
): Promise<PowerState> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const power = nodePower(dir, name);
    if (power?.phase === 'up' && power.bootId !== options.notBootId) return power;
    if (Date.now() > deadline) {
      throw new Error(`${name} is not up (phase ${power?.phase ?? 'unknown'}, last: ${power?.history.at(-1)?.event ?? '-'})`);
    }
    await delay(25);
  }
}

/**
 * Resets the node (like its BMC would: everything in it dies at once) or, when it is powered off,
 * presses its power button. With `wait`, resolves when it is up again.
 */
export async function labReboot(
  dir: string | undefined,
  name: string,
  options: { wait?: boolean; timeoutMs?: number } = {},
): Promise<PowerState | undefined> {
  const p = paths(dir, name);
  const before = readPower(p.power);
  if (before?.phase === 'off') {
    writeFileSync(p.powerOn, '');
  } else if (!before?.holder || !signalRecord(before.holder, 'SIGKILL')) {
    throw new Error(`${name} is ${before?.phase ?? 'not booted'}: nothing to reset (its supervisor boots it by itself)`);
  }
  if (options.wait === false) return undefined;
  return waitForNode(dir, name, { ...(before?.bootId ? { notBootId: before.bootId } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
}

/**
 * The PID 1 of the node's current boot once its mounts are in place (init writes `mounted` in the
 * boot's run directory after them): before that, a command would run on this machine's /etc, /usr.
 */
export async function mountedInit(dir: string | undefined, name: string, timeoutMs: number): Promise<ProcessRecord> {
  const mounted = join(paths(dir, name).run, 'mounted');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const power = nodePower(dir, name);
    const init = power?.init;
    const running = init !== undefined && isRunning(init);
    if (running && existsSync(mounted)) return init;
    if (!running && power?.phase !== 'booting') throw new Error(`${name} is not running`);
    if (Date.now() > deadline) throw new Error(`${name} is booting: its mounts are not in place after ${timeoutMs} ms`);
    await delay(20);
  }
}

/** Runs argv on the node directly (in its namespaces, as root), not through SSH; waits (up to 30 s) for a booting node's mounts. */
export async function labExec(dir: string | undefined, name: string, argv: readonly string[], input?: string): Promise<ExecResult> {
  const init = await mountedInit(dir, name, 30_000);
  const env = { PATH: NODE_PATH, HOME: '/root', LANG: 'C.UTF-8' };
  const child = spawn('nsenter', ['-t', String(init.pid), '-m', '-u', '-i', '-n', '-p', '-C', '-T', '--', ...argv], {
    env,
    cwd: '/',
    // No input: stdin closed from the start, so a command that exits early cannot raise EPIPE.
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  if (input !== undefined && child.stdin) {
    // A command may exit before it reads all of its input; that is its answer, not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function activeFaults(dir: string | undefined, name: string): Partial<Record<Fault, string>> {
  const p = paths(dir, name);
  const on: Partial<Record<Fault, string>> = {};
  for (const f of FAULTS) {
    const file = join(p.faults, f);
    if (existsSync(file)) on[f] = readFileSync(file, 'utf8').trim();
  }
  return on;
}

/**
 * Switches a fault of a node. Most act at their next use (a boot, a build, a driver load);
 * vt-disabled, sriov-disabled and ssh-drops act at once as well.
 */
export async function labFault(dir: string | undefined, name: string, fault: string, on: boolean, arg?: number): Promise<void> {
  if (!isFault(fault)) throw new Error(`unknown fault ${fault}; faults: ${FAULTS.join(', ')}`);
  if (arg !== undefined && (!Number.isInteger(arg) || arg < 0)) throw new Error(`fault ${fault}: the argument must be a whole number, not ${arg}`);
  const p = paths(dir, name);
  const file = join(p.faults, fault);
  const value = arg ?? FAULT_DEFAULT_ARG[fault];
  if (on) writeFileSync(file, value === undefined ? '' : `${value}\n`);
  else rmSync(file, { force: true });
  const running = nodePower(dir, name)?.init;
  if (fault === 'vt-disabled') {
    // in place: the node has this file bind-mounted over /proc/cpuinfo
    writeNodeFile(join(p.run, 'cpuinfo'), nodeCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'), !on));
  } else if (fault === 'ssh-drops') {
    writeNodeFile(join(p.run, 'ssh-drops-left'), `${on ? (value ?? 0) : 0}\n`);
  } else if ((fault === 'no-lspci' || fault === 'german-locale' || fault === 'kdump-dropin') && running && isRunning(running)) {
    // The node's files follow at once; sshd gives sessions the new locale from the next boot.
    const r = await labExec(dir, name, ['/usr/lib/sriov-lab/sbin/node-options']);
    if (r.code !== 0) throw new Error(`${name}: applying ${fault} failed: ${r.stderr.trim()}`);
  } else if (fault === 'sriov-disabled' && running && isRunning(running)) {
    const r = await labExec(dir, name, ['/usr/lib/sriov-lab/sbin/firmware-changed']);
    if (r.code !== 0) throw new Error(`${name}: applying ${fault} failed: ${r.stderr.trim()}`);
  }
}
