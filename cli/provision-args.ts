// Command line of workflows/provision.ts (and, with its own table rows, teardown.ts): parsing,
// validation and --help, the options from the one table of cli/options.ts. Pure: no I/O.
import { UsageError } from '../core/errors.ts';
import { optionsHelp, parseOptions, type Workflow } from './options.ts';
import { BENCH_PROFILES, type BenchProfileName } from '../inventory/schema.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3, sigint: 130, sigterm: 143 } as const;

export type RendererChoice = 'default' | 'simple' | 'verbose';

export interface ProvisionArgs {
  help: boolean;
  inventory: string;
  /** --ansible-vars FILE: the hosts' Ansible variables (JSON/YAML) instead of an inventory file. */
  ansibleVars?: string;
  hosts: string[];
  limit?: string;
  local: boolean;
  from?: string;
  only?: string[];
  retryFailed: boolean;
  /** Stages to forget before running; ['*'] for all. */
  reset?: string[];
  dryRun: boolean;
  stateDir?: string;
  concurrency: number;
  serial?: number;
  maxFailPercent?: number;
  renderer?: RendererChoice;
  json: boolean;
  acceptNewHostKey: boolean;
  /** A VF count change may stop the containers owning VFs of the PF, resize, and start them again. */
  allowVfResize: boolean;
  /** --adopt: container-create may take an existing container it did not create. */
  adopt: boolean;
  benchProfile?: BenchProfileName;
  rebootTimeoutS: number;
  rebootBudget: number;
  /** --no-trial-boot: new kernel params go straight into the default boot entry. */
  noTrialBoot: boolean;
}

export const HELP = `Usage: npx zx workflows/provision.ts [options]

Provisions SR-IOV nodes for LXC containers that each own a Virtual Function: BIOS verify, driver
build, modules + hugepages, kernel cmdline, reboot, VF verify, containers, MAC reset, benchmark.
Resumes from checkpoints; re-running changes nothing on a node that is already done.

${optionsHelp('provision')}
Exit codes
  0  every selected stage is done on every host
  1  a stage failed on some host (the others went on); the state names the stage and why
  2  usage or inventory error: nothing was touched
  3  a host is locked by another run
  130/143  interrupted by SIGINT/SIGTERM: the stage under way finished (a reboot wait stops at
           once), the checkpoint and the report are written; run again to continue
`;

function positiveInt(flag: string, value: string | undefined, fallback: number, max = 10_000): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a whole number from 1 to ${max}`);
  }
  return Number(value);
}

function list(value: string | string[] | undefined): string[] {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function parseProvisionArgs(argv: readonly string[], workflow: Workflow = 'provision'): ProvisionArgs {
  // `--reset` takes an optional stage: `--reset` alone (or before another flag) means every stage.
  const args = [...argv];
  const i = args.indexOf('--reset');
  if (i >= 0 && (i === args.length - 1 || args[i + 1]!.startsWith('--'))) args.splice(i + 1, 0, '*');

  const v = parseOptions(workflow, args);
  const str = (name: string) => v[name] as string | undefined;
  const flag = (name: string) => (v[name] as boolean | undefined) ?? false;
  const strings = (name: string) => v[name] as string[] | undefined;
  const renderer = str('renderer');
  if (renderer !== undefined && !['default', 'simple', 'verbose'].includes(renderer)) {
    throw new UsageError(`--renderer ${JSON.stringify(renderer)}: expected default, simple or verbose`);
  }
  const benchProfile = str('bench-profile');
  if (benchProfile !== undefined && !isBenchProfile(benchProfile)) {
    throw new UsageError(`--bench-profile ${JSON.stringify(benchProfile)}: expected ${BENCH_PROFILES.join(', ').replace(/, (?=[^,]*$)/, ' or ')}`);
  }
  let maxFailPercent: number | undefined;
  const maxFail = str('max-fail-percent');
  if (maxFail !== undefined) {
    maxFailPercent = Number(maxFail);
    if (!/^\d+(\.\d+)?$/.test(maxFail) || maxFailPercent > 100) {
      throw new UsageError(`--max-fail-percent ${JSON.stringify(maxFail)}: expected a percentage from 0 to 100`);
    }
  }
  const only = list(strings('only'));
  const reset = list(strings('reset'));
  if (str('ansible-vars') !== undefined && str('inventory') !== undefined) {
    throw new UsageError('--ansible-vars and --inventory both name the hosts\' plans', { hint: 'pass one of them' });
  }
  if (str('ansible-vars') !== undefined && flag('local')) {
    throw new UsageError('--ansible-vars cannot be combined with --local', { hint: 'the boot unit of --local resumes from an inventory file: pass --inventory' });
  }
  if (flag('retry-failed') && str('from')) {
    throw new UsageError('--retry-failed cannot be combined with --from', { hint: 'it starts each host at its failed stage by itself (--only still narrows the stages)' });
  }
  return {
    help: flag('help'),
    inventory: str('inventory') ?? 'inventory.yaml',
    ansibleVars: str('ansible-vars'),
    hosts: [...list(strings('host')), ...list(strings('hosts'))],
    limit: str('limit'),
    local: flag('local'),
    from: str('from'),
    only: only.length > 0 ? only : undefined,
    retryFailed: flag('retry-failed'),
    reset: reset.length > 0 ? (reset.includes('*') ? ['*'] : reset) : undefined,
    dryRun: flag('dry-run'),
    stateDir: str('state-dir'),
    concurrency: positiveInt('--concurrency', str('concurrency'), 8, 1024),
    serial: str('serial') === undefined ? undefined : positiveInt('--serial', str('serial'), 1, 10_000),
    maxFailPercent,
    renderer: renderer as RendererChoice | undefined,
    json: flag('json'),
    acceptNewHostKey: flag('accept-new-host-key'),
    allowVfResize: flag('allow-vf-resize'),
    adopt: flag('adopt'),
    benchProfile,
    rebootTimeoutS: positiveInt('--reboot-timeout', str('reboot-timeout'), 600, 86_400),
    rebootBudget: positiveInt('--reboot-budget', str('reboot-budget'), 2, 100),
    noTrialBoot: flag('no-trial-boot'),
  };
}

/** Glob of * and ? against a whole host name. */
export function matchesGlob(name: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
  return re.test(name);
}

/**
 * The options a run resumed by the on-node boot unit must keep: the same stages, profile and
 * limits. Not --reset (already done), --retry-failed (the failed stage is running now), --dry-run.
 */
export function resumeArgs(a: ProvisionArgs): string[] {
  const out: string[] = [];
  if (a.only) out.push('--only', a.only.join(','));
  if (a.from) out.push('--from', a.from);
  if (a.benchProfile) out.push('--bench-profile', a.benchProfile);
  if (a.noTrialBoot) out.push('--no-trial-boot');
  if (a.allowVfResize) out.push('--allow-vf-resize');
  if (a.adopt) out.push('--adopt');
  out.push('--reboot-timeout', String(a.rebootTimeoutS), '--reboot-budget', String(a.rebootBudget));
  return out;
}

function isBenchProfile(name: string): name is BenchProfileName {
  return (BENCH_PROFILES as readonly string[]).includes(name);
}
