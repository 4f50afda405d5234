// provision.ts's and teardown.ts's work: run a workflow over the inventory's hosts (see --help).
// Orders stages and decides; the engine and the stages do the I/O.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHost } from '../hosts/connect.ts';
import { prepareStateDir, resolveStateDir } from '../state/state-dir.ts';
import { PROVISION_WORKFLOW } from '../workflows/provision-workflow.ts';
import { EXIT, HELP, matchesGlob, parseProvisionArgs, resumeArgs, type ProvisionArgs } from './provision-args.ts';
import type { Workflow } from '../engine/stage.ts';
import { bootUnit } from '../engine/boot-unit.ts';
import { InterruptedError, UsageError } from '../core/errors.ts';
import { DEFAULT_TIMINGS } from '../core/retry.ts';
import { printable } from '../core/terminal-text.ts';
import { runWorkflow, type HostResult } from '../engine/run.ts';
import { scriptArgs } from './script-args.ts';
import { validateSelection } from '../engine/select.ts';
import { jsonReport, renderSummary } from '../engine/summary.ts';
import { loadInventory } from '../inventory/load.ts';
import { loadAnsibleVars } from '../inventory/ansible-vars.ts';
import type { HostPlan } from '../inventory/plan.ts';

function selectHosts(all: readonly HostPlan[], args: ProvisionArgs): HostPlan[] {
  const names = all.map((h) => h.name);
  for (const name of args.hosts) {
    if (!names.includes(name)) throw new UsageError(`--host ${name}: not in the inventory`, { hint: `hosts are: ${names.join(', ')}` });
  }
  let chosen = args.hosts.length > 0 ? all.filter((h) => args.hosts.includes(h.name)) : [...all];
  if (args.limit) chosen = chosen.filter((h) => matchesGlob(h.name, args.limit!));
  if (chosen.length === 0) throw new UsageError(`no host matches --limit ${args.limit}`, { hint: `hosts are: ${names.join(', ')}` });
  if (args.local && chosen.length !== 1) {
    throw new UsageError('--local provisions this node only: name it with --host', { hint: `hosts are: ${names.join(', ')}` });
  }
  if (args.benchProfile) chosen = chosen.map((h) => ({ ...h, benchmark: { ...h.benchmark, profile: args.benchProfile! } }));
  if (args.noTrialBoot) chosen = chosen.map((h) => ({ ...h, trialBoot: false }));
  return chosen;
}

function exitCode(results: readonly HostResult[], signal: AbortSignal): number {
  if (signal.aborted) return signal.reason instanceof InterruptedError && signal.reason.message.includes('SIGTERM') ? EXIT.sigterm : EXIT.sigint;
  if (results.some((r) => r.status === 'locked')) return EXIT.locked;
  // A host left rebooting is fine only when it stopped for its own on-node reboot (its boot unit
  // finishes the run); one that did not come back within --reboot-timeout has a failed stage.
  if (results.some((r) => !r.ok && (r.status !== 'rebooting' || r.failedStage !== undefined))) return EXIT.failed;
  return EXIT.ok;
}

/**
 * The dry run's plans and diffs as printed: they quote the node's files (and stage messages that
 * quote the node), so escape sequences and control characters in them are made printable.
 */
export function renderPlans(results: readonly HostResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const s of r.stages) {
      if (s.status !== 'would-change' || !s.plan || s.plan.done) continue;
      lines.push(printable(`\n${r.host} — ${s.id} would:`));
      for (const line of s.plan.plan) lines.push(printable(`  - ${line}`));
      for (const d of s.plan.diffs ?? []) lines.push(printable(d.diff.replace(/^/gm, '    ')));
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** A warning as printed on stderr: its text may quote the node (a host key comment, a file). */
export function warningLine(message: string): string {
  return printable(`warning: ${message}\n`);
}

/** What makes a workflow's command line: its name, its options, its --help, its workflow (stages, plan resolution). */
export interface WorkflowCli<A extends ProvisionArgs> {
  name: string;
  parse(argv: readonly string[]): A;
  help: string;
  workflow(args: A): Workflow;
  /** Options the on-node boot unit must pass on besides resumeArgs(). */
  resumeArgs?(args: A): string[];
  /** Printed after the summary (text output only). */
  epilogue?(results: readonly HostResult[]): string[];
}

const PROVISION_CLI: WorkflowCli<ProvisionArgs> = { name: 'provision', parse: parseProvisionArgs, help: HELP, workflow: () => PROVISION_WORKFLOW };

async function main<A extends ProvisionArgs>(cli: WorkflowCli<A>, argv: string[], entry: string): Promise<number> {
  const args = cli.parse(argv);
  if (args.help) {
    process.stdout.write(cli.help);
    return EXIT.ok;
  }
  const inventory = args.ansibleVars !== undefined ? loadAnsibleVars(args.ansibleVars, { checkLocalFiles: true }) : loadInventory(args.inventory, { checkLocalFiles: true });
  const plans = selectHosts(inventory.hosts, args);
  const workflow = cli.workflow(args);
  const stages = workflow.stages;
  validateSelection({ from: args.from, only: args.only }, stages.map((s) => s.id));
  for (const id of args.reset ?? []) {
    if (id !== '*' && !stages.some((s) => s.id === id)) throw new UsageError(`--reset ${id}: no such stage`, { hint: `stages are: ${stages.map((s) => s.id).join(', ')}` });
  }
  const stateDir = resolveStateDir({ flag: args.stateDir, local: args.local });
  // A dry run writes nothing, the state dir included.
  prepareStateDir(stateDir, { create: !args.dryRun });

  const controller = new AbortController();
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
    if (controller.signal.aborted) process.exit(name === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
    process.stderr.write(`\n${name}: finishing the stage under way, then stopping (again to stop at once)\n`);
    controller.abort(new InterruptedError(`interrupted by ${name}`, { hint: 'run the same command again to continue from the checkpoint' }));
  };
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    // conf's atomically hooks these signals through when-exit, which re-raises the signal on this
    // process after its cleanup: that second signal stopped the run at once, mid-stage, with no
    // report. Its cleanup also runs on 'exit', which stays hooked; these signals are ours alone.
    process.removeAllListeners(name);
    process.on(name, onSignal(name));
  }

  const renderer = args.json ? 'silent' : (args.renderer ?? 'default');
  const results = await runWorkflow({
    plans,
    workflow,
    stateDir,
    runId: `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`,
    selection: { from: args.from, only: args.only, retryFailed: args.retryFailed },
    reset: args.reset,
    dryRun: args.dryRun,
    concurrency: args.concurrency,
    serial: args.serial,
    maxFailPercent: args.maxFailPercent,
    renderer,
    timings: { ...DEFAULT_TIMINGS, rebootReturn: { ...DEFAULT_TIMINGS.rebootReturn, maxRetryTime: args.rebootTimeoutS * 1000 } },
    rebootBudget: args.rebootBudget,
    signal: controller.signal,
    openHost: (plan) =>
      openHost(plan, {
        local: args.local,
        stateDir,
        acceptChangedHostKey: args.acceptNewHostKey,
        dryRun: args.dryRun,
        onWarning: (message) => process.stderr.write(warningLine(message)),
      }),
    allowVfResize: args.allowVfResize,
    adopt: args.adopt,
    localBoot: args.local ? bootUnit({ script: fileURLToPath(entry), inventory: resolve(args.inventory), stateDir, options: [...resumeArgs(args), ...(cli.resumeArgs?.(args) ?? [])] }) : undefined,
    lockNode: true,
    command: [cli.name, ...argv].join(' '),
    warn: (message) => process.stderr.write(warningLine(message)),
  });
  if (args.json) {
    process.stdout.write(`${jsonReport(results)}\n`);
  } else {
    if (args.dryRun) process.stdout.write(renderPlans(results));
    console.log(`\n${renderSummary(results)}\nstate: ${stateDir}`);
    for (const line of cli.epilogue?.(results) ?? []) console.log(line);
    if (results.some((r) => r.status === 'rebooting' && args.local)) console.log('the node is rebooting; the boot unit sriov-lxc-resume.service finishes the run');
  }
  return exitCode(results, controller.signal);
}

/** Runs provision.ts (`entry`: its module URL) with its command line; sets the exit code. */
export async function runProvision(entry: string): Promise<void> {
  await runWorkflowCli(PROVISION_CLI, entry);
}

/** Runs a workflow's entry script (`entry`: its module URL) with its command line; sets the exit code. */
export async function runWorkflowCli<A extends ProvisionArgs>(cli: WorkflowCli<A>, entry: string, argv: string[] = scriptArgs(entry)): Promise<void> {
  try {
    process.exitCode = await main(cli, argv, entry);
  } catch (error) {
    if (error instanceof UsageError || (error as { name?: string }).name === 'UsageError') {
      const e = error as UsageError;
      process.stderr.write(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      process.exitCode = EXIT.usage;
    } else {
      throw error;
    }
  }
}
