// sriov-lxc's side of the benchmark: provision.ts run as a person runs it (a child process, --json),
// measured, and what its report and journals say: hosts done, failures, SSH round trips, and how
// soon after each node's sshd was ready the engine went on after the pipeline's reboot.
import { fileURLToPath } from 'node:url';
import { nodeSshdReadyAt } from '../lab/index.ts';
import { readJournal } from '../state/journal.ts';
import { PROVISION_STAGES } from '../workflows/provision-workflow.ts';
import { measure, type Measured } from './measure.ts';
import { spread, type PipelineRun } from './results.ts';

const PROVISION = fileURLToPath(new URL('../workflows/provision.ts', import.meta.url));

/** Every stage but the benchmark. */
export const WITHOUT_BENCHMARK = PROVISION_STAGES.map((s) => s.id).filter((id) => id !== 'benchmark');

export interface ProvisionReport {
  hosts: {
    host: string;
    ok: boolean;
    status: string;
    failedStage?: string;
    error?: { message: string };
    roundTrips?: number;
    stages: { id: string; status: string; changed: boolean }[];
  }[];
}

export interface ProvisionRun {
  run: Measured;
  report: ProvisionReport;
}

export async function provision(inventory: string, stateDir: string, concurrency: number, extra: readonly string[] = []): Promise<ProvisionRun> {
  const argv = [process.execPath, PROVISION, '--inventory', inventory, '--state-dir', stateDir, '--json', '--concurrency', String(concurrency), '--bench-profile', 'quick', ...extra];
  const run = await measure(argv, { timeoutMs: 3 * 3600_000 });
  let report: ProvisionReport;
  try {
    report = JSON.parse(run.stdout) as ProvisionReport;
  } catch {
    throw new Error(`provision.ts wrote no report (exit ${run.code}):\n${run.stderr.slice(-3000)}`);
  }
  return { run, report };
}

/** Hosts that did not finish, with their failed stage and message. */
export function failuresOf(report: ProvisionReport): Record<string, string> {
  return Object.fromEntries(report.hosts.filter((h) => !h.ok).map((h) => [h.host, `${h.status}${h.failedStage ? ` at ${h.failedStage}` : ''}: ${h.error?.message ?? ''}`.trim()]));
}

/** For each host that rebooted in this state dir: its journal's boot-seen minus the lab's sshd-ready. */
function detection(labDir: string, stateDir: string, hosts: readonly string[]): PipelineRun['detection'] {
  const samples: number[] = [];
  for (const host of hosts) {
    const seen = readJournal(stateDir, host).entries.findLast((e) => e.event === 'boot-seen');
    const ready = nodeSshdReadyAt(labDir, host);
    if (seen && ready !== undefined) samples.push(Date.parse(seen.ts) - ready);
  }
  return samples.length > 0 ? spread(samples) : undefined;
}

export function pipelineRun(p: ProvisionRun, labDir: string, stateDir: string): PipelineRun {
  if (!p.run.usage) throw new Error('provision.ts reported no resource usage (bench/usage-probe.ts did not load)');
  const det = detection(labDir, stateDir, p.report.hosts.map((h) => h.host));
  return {
    wallMs: Math.round(p.run.wallMs),
    peakRssMb: Math.round(p.run.usage.peakRssMb),
    // To 0.01 s: per added node, 0.1 s of a run was 0.014 CPU-s at 8 nodes, a tenth of the goal.
    cpuS: Math.round(p.run.usage.cpuS * 100) / 100,
    hostsOk: p.report.hosts.filter((h) => h.ok).length,
    failures: failuresOf(p.report),
    ...(det ? { detection: det } : {}),
  };
}

/** Why a run meant to change nothing is not a no-op (a host not done, or a stage that changed). */
export function notNoop(report: ProvisionReport): string[] {
  const problems: string[] = [];
  for (const h of report.hosts) {
    if (!h.ok) problems.push(`${h.host}: ${h.status}${h.failedStage ? ` at ${h.failedStage}` : ''}`);
    for (const s of h.stages) if (s.changed) problems.push(`${h.host}: ${s.id} changed`);
  }
  return problems;
}
