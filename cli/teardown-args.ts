// Command line of workflows/teardown.ts: its rows of the option table (cli/options.ts): provision's
// hosts, stages, run and output options (the same engine, checkpoints and resume) without the
// benchmark's and the containers' (--bench-profile, --allow-vf-resize, --adopt), plus
// --keep-containers. Pure: no I/O.
import { optionsHelp } from './options.ts';
import { parseProvisionArgs, type ProvisionArgs } from './provision-args.ts';

export interface TeardownArgs extends ProvisionArgs {
  keepContainers: boolean;
}

export const TEARDOWN_HELP = `Usage: npx zx workflows/teardown.ts [options]   (or: sriov-lxc teardown [options])

The way back from provision: per host, the containers sriov-lxc created stopped and destroyed, the
VF MAC boot unit, the persisted VF counts, modules-load.d, modprobe.d, sysctl.d, the fstab line and
the hugetlbfs mount removed, ConnectX firmware settings put back, sriov-lxc's params taken off the
kernel command line (one trial boot that falls back by itself, then /etc/default/grub or
/etc/kernel/cmdline and the BLS entries restored, or the grub.d drop-in removed), one reboot, and
the node verified: no sriov-lxc params, no VFs on the planned PFs. Only what sriov-lxc made is
removed: a file the operator changed since, a container sriov-lxc did not create, a mount that was
there before are left in place and named at the end.
Resumes from checkpoints; re-running changes nothing on a node already torn down.

${optionsHelp('teardown')}
Exit codes: as provision (0 done, 1 a stage failed, 2 usage, 3 locked, 130/143 interrupted).
`;

export function parseTeardownArgs(argv: readonly string[]): TeardownArgs {
  const keep = argv.includes('--keep-containers');
  return { ...parseProvisionArgs(argv.filter((a) => a !== '--keep-containers'), 'teardown'), keepContainers: keep };
}
