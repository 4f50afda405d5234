// Reboot detection: how long after a node's sshd is ready again (the lab records the moment) the
// tool goes on. Ours: the engine's reboot protocol itself (issueReboot, then waitForNewBoot under
// DEFAULT_TIMINGS.rebootReturn, as HostRun does it) over the SshHost provision opens. Ansible's:
// its reboot module, until the task ends (json callback timestamp).
import { currentInterruption, nodeSshdReadyAt, waitForNode, nodePower } from '../lab/index.ts';
import { openHost } from '../hosts/connect.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { issueReboot, waitForNewBoot } from '../engine/reboot.ts';
import { DEFAULT_TIMINGS } from '../core/retry.ts';
import { PLAYBOOKS, type AnsibleWorkspace } from './ansible.ts';

export interface RebootSample {
  /** From the node's sshd being ready to the tool going on, ms. */
  detectMs: number;
  /** From the reboot request to the tool going on, ms. */
  totalMs: number;
}

function readyAt(labDir: string, node: string, bootId: string): number {
  const power = nodePower(labDir, node);
  const ready = nodeSshdReadyAt(labDir, node);
  if (power?.bootId !== bootId || ready === undefined) {
    throw new Error(`${node}: the lab has no sshd-ready time for boot ${bootId} (it says boot ${power?.bootId ?? '?'})`);
  }
  return ready;
}

export async function oursReboot(plan: HostPlan, labDir: string, stateDir: string): Promise<RebootSample> {
  const host = openHost(plan, { local: false, stateDir });
  try {
    const prev = await host.bootId();
    const started = Date.now();
    await issueReboot(host);
    // Ctrl-C (lab/interrupt.ts) stops the wait at once.
    const bootId = await waitForNewBoot(host, prev, DEFAULT_TIMINGS.rebootReturn, undefined, currentInterruption()?.signal);
    const back = Date.now();
    return { detectMs: back - readyAt(labDir, plan.name, bootId), totalMs: back - started };
  } finally {
    await host.close();
  }
}

/** Ansible's module parameters for one variant; empty: the module's defaults. */
export type RebootParams = Partial<Record<'sriov_post_reboot_delay' | 'sriov_reboot_timeout' | 'sriov_connect_timeout', number>>;

export async function ansibleReboot(ws: AnsibleWorkspace, labDir: string, node: string, params: RebootParams): Promise<RebootSample> {
  const before = nodePower(labDir, node)?.bootId;
  const run = await ws.play(PLAYBOOKS.reboot, { forks: 1, extraVars: { sriov_reboot_command: 'shutdown -r now', ...params }, timeoutMs: 900_000 });
  const task = run.tasks.find((t) => t.name.startsWith('Reboot'));
  if (run.code !== 0 || !task) throw new Error(`Ansible's reboot of ${node} failed (exit ${run.code}):\n${run.output}`);
  const power = await waitForNode(labDir, node, { ...(before ? { notBootId: before } : {}), timeoutMs: 5000 });
  return { detectMs: task.end - readyAt(labDir, node, power.bootId!), totalMs: task.end - task.start };
}
