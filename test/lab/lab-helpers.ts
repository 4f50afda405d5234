// Shared by the lab's self-tests: a lab per test file (its own directory, hence its own slot,
// namespaces and subnet, so test files run in parallel), torn down after the file, and SSH to
// its nodes the way the tool reaches them (the lab's key and known_hosts, root).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { labDown, labUp, nodePower, sshArgv, waitForNode, type LabInfo, type LabUpOptions, suiteLabDir } from '../../lab/index.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A short boot delay keeps the reboot tests quick; the default of the lab is 2 s. */
export const TEST_BOOT_DELAY_MS = 300;

export async function startLab(name: string, options: Omit<LabUpOptions, 'dir'>): Promise<{ info: LabInfo; stop: () => Promise<void> }> {
  const dir = suiteLabDir(name);
  const stop = async (): Promise<void> => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const info = await labUp({ bootDelayMs: TEST_BOOT_DELAY_MS, ...options, dir });
    return { info, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `ssh root@node -- COMMAND`: one argument is a shell command line, several an argv. */
export function ssh(info: LabInfo, node: string, ...command: string[]): Promise<RunResult> {
  const [program, ...args] = sshArgv(info, node, command);
  const child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Like ssh, but a non-zero exit is an error that shows the command's output. */
export async function sshOk(info: LabInfo, node: string, ...command: string[]): Promise<string> {
  const r = await ssh(info, node, ...command);
  if (r.code !== 0) throw new Error(`on ${node}: ${command.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Reboots the node from inside, the way the tool does (detached, so the SSH command returns),
 * and waits until it is up with a new boot_id; returns that boot_id.
 */
export async function rebootFromInside(info: LabInfo, node: string, how = 'reboot'): Promise<string> {
  const before = (await sshOk(info, node, 'cat /proc/sys/kernel/random/boot_id')).trim();
  await sshOk(info, node, `nohup sh -c 'sleep 1; ${how}' >/dev/null 2>&1 &`);
  const power = await waitForNode(info.dir, node, { notBootId: before, timeoutMs: 30_000 });
  const after = (await sshOk(info, node, 'cat /proc/sys/kernel/random/boot_id')).trim();
  if (after !== power.bootId) throw new Error(`${node}: boot_id ${after} is not the lab's ${power.bootId ?? '?'}`);
  return after;
}

export function phase(info: LabInfo, node: string): string | undefined {
  return nodePower(info.dir, node)?.phase;
}
