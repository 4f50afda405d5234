// Command line of workflows/provision.ts: parsing, validation and --help. Pure: no I/O.
import { parseArgs } from 'node:util';
import { UsageError } from '../../core/errors.ts';

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
  benchProfile?: 'paper' | 'quick';
  rebootTimeoutS: number;
  rebootBudget: number;
  /** --no-trial-boot: new kernel params go straight into the default boot entry. */
  noTrialBoot: boolean;
}

export const HELP = `Usage: npx zx workflows/provision.ts [options]

Provisions SR-IOV nodes for LXC containers that each own a Virtual Function: BIOS verify, driver
build, modules + hugepages, kernel cmdline, reboot, VF verify, containers, MAC reset, benchmark.
Resumes from checkpoints; re-running changes nothing on a node that is already done.

Hosts
  --inventory FILE       inventory (YAML); default ./inventory.yaml
  --ansible-vars FILE    instead of an inventory: host name -> its Ansible variables (JSON or
                         YAML; ansible_host/port/user/ssh_private_key_file and sriov_lxc_<field>
                         in snake_case); relative paths start from the working directory
  --host NAME            a host of the inventory (repeat, or a,b,c); default: all hosts
  --hosts A,B,C          same as --host with a list
  --limit PATTERN        hosts whose name matches a glob (* and ?), e.g. 'rack1-*'
  --local                run on this node itself (no SSH); state in /var/lib/sriov-lxc;
                         a boot unit resumes the run after the reboot

Stages
  --from STAGE           start at STAGE (earlier stages are left as they are)
  --only STAGE[,STAGE]   run only these stages
  --retry-failed         continue each host from its failed stage; hosts without one are skipped
                         (with --only: only those stages, from the failed one on)
  --reset [STAGE]        forget the checkpoint of STAGE (or of every stage) before running
  --dry-run              check only: print what each stage would change, with file diffs

Run
  --state-dir DIR        checkpoints and results (env SRIOV_LXC_STATE_DIR;
                         default $XDG_STATE_HOME/sriov-lxc, or /var/lib/sriov-lxc with --local)
  --concurrency N        hosts provisioned at once (default 8)
  --serial N             rolling batches of N hosts; the next batch starts when one ends
  --max-fail-percent P   start no new host once more than P % of hosts failed
  --reboot-timeout S     seconds to wait for a node to come back (default 600)
  --reboot-budget N      reboots a stage may request before stopping with a diagnosis (default 2)
  --no-trial-boot        write new kernel params straight into the default boot entry instead of
                         trying them once in a one-shot entry that falls back by itself (for
                         nodes whose GRUB cannot write its environment block; inventory: trialBoot)
  --bench-profile NAME   paper | quick: overrides the inventory's benchmark profile
  --accept-new-host-key  replace a pinned host key that changed (after you checked why)
  --allow-vf-resize      let a VF count change stop the containers owning VFs of that PF,
                         resize (through 0) and start them again on their VFs

Output
  --renderer NAME        default | simple | verbose (default: the live tree on a terminal,
                         simple otherwise)
  --json                 no tree; one JSON document on stdout at the end
  --help                 this text

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

export function parseProvisionArgs(argv: readonly string[]): ProvisionArgs {
  // `--reset` takes an optional stage: `--reset` alone (or before another flag) means every stage.
  const args = [...argv];
  const i = args.indexOf('--reset');
  if (i >= 0 && (i === args.length - 1 || args[i + 1]!.startsWith('--'))) args.splice(i + 1, 0, '*');

  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        inventory: { type: 'string', short: 'i' },
        'ansible-vars': { type: 'string' },
        host: { type: 'string', multiple: true },
        hosts: { type: 'string', multiple: true },
        limit: { type: 'string' },
        local: { type: 'boolean' },
        from: { type: 'string' },
        only: { type: 'string', multiple: true },
        'retry-failed': { type: 'boolean' },
        reset: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        'state-dir': { type: 'string' },
        concurrency: { type: 'string' },
        serial: { type: 'string' },
        'max-fail-percent': { type: 'string' },
        renderer: { type: 'string' },
        json: { type: 'boolean' },
        'accept-new-host-key': { type: 'boolean' },
        'allow-vf-resize': { type: 'boolean' },
        'bench-profile': { type: 'string' },
        'reboot-timeout': { type: 'string' },
        'reboot-budget': { type: 'string' },
        'no-trial-boot': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: 'see --help for the options' });
  }
  const v = parsed.values;
  const renderer = v.renderer;
  if (renderer !== undefined && !['default', 'simple', 'verbose'].includes(renderer)) {
    throw new UsageError(`--renderer ${JSON.stringify(renderer)}: expected default, simple or verbose`);
  }
  const benchProfile = v['bench-profile'];
  if (benchProfile !== undefined && benchProfile !== 'paper' && benchProfile !== 'quick') {
    throw new UsageError(`--bench-profile ${JSON.stringify(benchProfile)}: expected paper or quick`);
  }
  let maxFailPercent: number | undefined;
  if (v['max-fail-percent'] !== undefined) {
    maxFailPercent = Number(v['max-fail-percent']);
    if (!/^\d+(\.\d+)?$/.test(v['max-fail-percent']) || maxFailPercent > 100) {
      throw new UsageError(`--max-fail-percent ${JSON.stringify(v['max-fail-percent'])}: expected a percentage from 0 to 100`);
    }
  }
  const only = list(v.only);
  const reset = list(v.reset);
  if (v['ansible-vars'] !== undefined && v.inventory !== undefined) {
    throw new UsageError('--ansible-vars and --inventory both name the hosts\' plans', { hint: 'pass one of them' });
  }
  if (v['ansible-vars'] !== undefined && v.local) {
    throw new UsageError('--ansible-vars cannot be combined with --local', { hint: 'the boot unit of --local resumes from an inventory file: pass --inventory' });
  }
  if (v['retry-failed'] && v.from) {
    throw new UsageError('--retry-failed cannot be combined with --from', { hint: 'it starts each host at its failed stage by itself (--only still narrows the stages)' });
  }
  return {
    help: v.help ?? false,
    inventory: v.inventory ?? 'inventory.yaml',
    ansibleVars: v['ansible-vars'],
    hosts: [...list(v.host), ...list(v.hosts)],
    limit: v.limit,
    local: v.local ?? false,
    from: v.from,
    only: only.length > 0 ? only : undefined,
    retryFailed: v['retry-failed'] ?? false,
    reset: reset.length > 0 ? (reset.includes('*') ? ['*'] : reset) : undefined,
    dryRun: v['dry-run'] ?? false,
    stateDir: v['state-dir'],
    concurrency: positiveInt('--concurrency', v.concurrency, 8, 1024),
    serial: v.serial === undefined ? undefined : positiveInt('--serial', v.serial, 1, 10_000),
    maxFailPercent,
    renderer: renderer as RendererChoice | undefined,
    json: v.json ?? false,
    acceptNewHostKey: v['accept-new-host-key'] ?? false,
    allowVfResize: v['allow-vf-resize'] ?? false,
    benchProfile,
    rebootTimeoutS: positiveInt('--reboot-timeout', v['reboot-timeout'], 600, 86_400),
    rebootBudget: positiveInt('--reboot-budget', v['reboot-budget'], 2, 100),
    noTrialBoot: v['no-trial-boot'] ?? false,
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
  out.push('--reboot-timeout', String(a.rebootTimeoutS), '--reboot-budget', String(a.rebootBudget));
  return out;
}
