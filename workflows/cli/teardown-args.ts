// Command line of workflows/teardown.ts: provision's options (hosts, stages, run, output; the same
// engine, checkpoints and resume) without --bench-profile, plus --keep-containers. Pure: no I/O.
import { UsageError } from '../../core/errors.ts';
import { parseProvisionArgs, type ProvisionArgs } from './provision-args.ts';

export interface TeardownArgs extends ProvisionArgs {
  keepContainers: boolean;
}

export const TEARDOWN_HELP = `Usage: npx zx workflows/teardown.ts [options]   (or: sriov-lxc teardown [options])

The way back from provision: per host, the inventory's containers stopped and destroyed, the VF MAC
boot unit, the persisted VF counts, modules-load.d, modprobe.d, sysctl.d, the fstab line and the
hugetlbfs mount removed, sriov-lxc's params taken off the kernel command line (one trial boot
that falls back by itself, then /etc/default/grub restored from its backup or the grub.d drop-in
removed; BLS nodes not yet), one reboot, and the
node verified: no sriov-lxc params, no VFs on the planned PFs. Only what sriov-lxc wrote is
removed: a file changed since by the operator is left in place and named at the end.
Resumes from checkpoints; re-running changes nothing on a node already torn down.

Hosts
  --inventory FILE       inventory (YAML); default ./inventory.yaml
  --ansible-vars FILE    instead of an inventory: host name -> its Ansible variables (JSON or
                         YAML), as provision takes them
  --host NAME            a host of the inventory (repeat, or a,b,c); default: all hosts
  --hosts A,B,C          same as --host with a list
  --limit PATTERN        hosts whose name matches a glob (* and ?), e.g. 'rack1-*'
  --local                run on this node itself (no SSH); state in /var/lib/sriov-lxc;
                         a boot unit resumes the run after the reboot

Stages
  --keep-containers      leave the inventory's containers (and patched templates) as they are
  --from STAGE           start at STAGE (earlier stages are left as they are)
  --only STAGE[,STAGE]   run only these stages
  --retry-failed         continue each host from its failed stage; hosts without one are skipped
  --reset [STAGE]        forget the checkpoint of STAGE (or of every stage) before running
  --dry-run              check only: print what each stage would change, with file diffs

Run
  --state-dir DIR        checkpoints (env SRIOV_LXC_STATE_DIR; default $XDG_STATE_HOME/sriov-lxc,
                         or /var/lib/sriov-lxc with --local); shared with provision
  --concurrency N        hosts torn down at once (default 8)
  --serial N             rolling batches of N hosts; the next batch starts when one ends
  --max-fail-percent P   start no new host once more than P % of hosts failed
  --reboot-timeout S     seconds to wait for a node to come back (default 600)
  --reboot-budget N      reboots a stage may request before stopping with a diagnosis (default 2)
  --no-trial-boot        restore the default boot entry at once instead of trying the cmdline
                         without the params once in a one-shot entry (inventory: trialBoot)
  --accept-new-host-key  replace a pinned host key that changed (after you checked why)

Output
  --renderer NAME        default | simple | verbose
  --json                 no tree; one JSON document on stdout at the end (each host's outputs
                         name the files kept: outputs["teardown-verify"].kept)
  --help                 this text

Exit codes: as provision (0 done, 1 a stage failed, 2 usage, 3 locked, 130/143 interrupted).
`;

export function parseTeardownArgs(argv: readonly string[]): TeardownArgs {
  const keep = argv.filter((a) => a === '--keep-containers').length > 0;
  const rest = argv.filter((a) => a !== '--keep-containers');
  if (rest.some((a) => a === '--bench-profile' || a.startsWith('--bench-profile='))) {
    throw new UsageError('--bench-profile: teardown runs no benchmark', { hint: 'see --help for the options' });
  }
  return { ...parseProvisionArgs(rest), keepContainers: keep };
}
