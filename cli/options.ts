// The one table of provision's and teardown's options: what node:util's parseArgs accepts and what
// --help says are both made from it, per workflow, so the two can no longer drift apart. Pure.
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';

export type Workflow = 'provision' | 'teardown';

const SECTIONS = ['Hosts', 'Stages', 'Run', 'Output'] as const;

interface OptionSpec {
  name: string;
  short?: string;
  type: 'boolean' | 'string';
  multiple?: boolean;
  section: (typeof SECTIONS)[number];
  /** What follows the flag in --help ("FILE"). */
  arg?: string;
  /** Its --help text in each workflow that takes it ("\n" breaks a line). */
  help: Partial<Record<Workflow, string>>;
}

const both = (text: string): Record<Workflow, string> => ({ provision: text, teardown: text });

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'inventory', short: 'i', type: 'string', section: 'Hosts', arg: 'FILE', help: both('inventory (YAML); default ./inventory.yaml') },
  {
    name: 'ansible-vars', type: 'string', section: 'Hosts', arg: 'FILE',
    help: both('instead of an inventory: host name -> its Ansible variables (JSON or\nYAML; ansible_host/port/user/ssh_private_key_file and sriov_lxc_<field>\nin snake_case; - reads standard input); relative paths start from the\nworking directory'),
  },
  { name: 'host', type: 'string', multiple: true, section: 'Hosts', arg: 'NAME', help: both('a host of the inventory (repeat, or a,b,c); default: all hosts') },
  { name: 'hosts', type: 'string', multiple: true, section: 'Hosts', arg: 'A,B,C', help: both('same as --host with a list') },
  { name: 'limit', type: 'string', section: 'Hosts', arg: 'PATTERN', help: both("hosts whose name matches a glob (* and ?), e.g. 'rack1-*'") },
  { name: 'local', type: 'boolean', section: 'Hosts', help: both('run on this node itself (no SSH); state in /var/lib/sriov-lxc;\na boot unit resumes the run after the reboot') },

  { name: 'keep-containers', type: 'boolean', section: 'Stages', help: { teardown: "leave the inventory's containers (and patched templates) as they are" } },
  { name: 'from', type: 'string', section: 'Stages', arg: 'STAGE', help: both('start at STAGE (earlier stages are left as they are)') },
  { name: 'only', type: 'string', multiple: true, section: 'Stages', arg: 'STAGE[,STAGE]', help: both('run only these stages') },
  {
    name: 'retry-failed', type: 'boolean', section: 'Stages',
    help: {
      provision: 'continue each host from its failed stage; hosts without one are skipped\n(with --only: only those stages, from the failed one on)',
      teardown: 'continue each host from its failed stage; hosts without one are skipped',
    },
  },
  { name: 'reset', type: 'string', multiple: true, section: 'Stages', arg: '[STAGE]', help: both('forget the checkpoint of STAGE (or of every stage) before running') },
  { name: 'dry-run', type: 'boolean', section: 'Stages', help: both('check only: print what each stage would change, with file diffs') },

  {
    name: 'state-dir', type: 'string', section: 'Run', arg: 'DIR',
    help: {
      provision: 'checkpoints and results (env SRIOV_LXC_STATE_DIR;\ndefault $XDG_STATE_HOME/sriov-lxc, or /var/lib/sriov-lxc with --local)',
      teardown: 'checkpoints (env SRIOV_LXC_STATE_DIR; default $XDG_STATE_HOME/sriov-lxc,\nor /var/lib/sriov-lxc with --local); shared with provision',
    },
  },
  { name: 'concurrency', type: 'string', section: 'Run', arg: 'N', help: { provision: 'hosts provisioned at once (default 8)', teardown: 'hosts torn down at once (default 8)' } },
  { name: 'serial', type: 'string', section: 'Run', arg: 'N', help: both('rolling batches of N hosts; the next batch starts when one ends') },
  { name: 'max-fail-percent', type: 'string', section: 'Run', arg: 'P', help: both('start no new host once more than P % of hosts failed') },
  { name: 'reboot-timeout', type: 'string', section: 'Run', arg: 'S', help: both('seconds to wait for a node to come back (default 600)') },
  { name: 'reboot-budget', type: 'string', section: 'Run', arg: 'N', help: both('reboots a stage may request before stopping with a diagnosis (default 2)') },
  {
    name: 'no-trial-boot', type: 'boolean', section: 'Run',
    help: {
      provision: 'write new kernel params straight into the default boot entry instead of\ntrying them once in a one-shot entry that falls back by itself (for\nnodes whose GRUB cannot write its environment block; inventory: trialBoot)',
      teardown: 'restore the default boot entry at once instead of trying the cmdline\nwithout the params once in a one-shot entry (inventory: trialBoot)',
    },
  },
  { name: 'bench-profile', type: 'string', section: 'Run', arg: 'NAME', help: { provision: "standard | paper | quick: overrides the inventory's benchmark profile" } },
  { name: 'accept-new-host-key', type: 'boolean', section: 'Run', help: both('replace a pinned host key that changed (after you checked why)') },
  {
    name: 'allow-vf-resize', type: 'boolean', section: 'Run',
    help: { provision: 'let a VF count change stop the containers owning VFs of that PF,\nresize (through 0) and start them again on their VFs' },
  },
  {
    name: 'adopt', type: 'boolean', section: 'Run',
    help: { provision: "take an existing container of the inventory's name that sriov-lxc did\nnot create (refused otherwise): it is configured for its VF, and teardown\nleaves it in place" },
  },

  {
    name: 'renderer', type: 'string', section: 'Output', arg: 'NAME',
    help: { provision: 'default | simple | verbose (default: the live tree on a terminal,\nsimple otherwise)', teardown: 'default | simple | verbose' },
  },
  {
    name: 'json', type: 'boolean', section: 'Output',
    help: {
      provision: 'no tree; one JSON document on stdout at the end',
      teardown: 'no tree; one JSON document on stdout at the end (each host\'s outputs\nname what was left in place: outputs["teardown-verify"].kept)',
    },
  },
  { name: 'help', short: 'h', type: 'boolean', section: 'Output', help: both('this text') },
];

const COLUMN = 25;

/** The options part of `workflow`'s --help, section by section. */
export function optionsHelp(workflow: Workflow): string {
  const blocks: string[] = [];
  for (const section of SECTIONS) {
    const lines: string[] = [section];
    for (const o of OPTIONS) {
      const text = o.help[workflow];
      if (o.section !== section || text === undefined) continue;
      const [first, ...rest] = text.split('\n');
      lines.push(`  ${`--${o.name}${o.arg ? ` ${o.arg}` : ''}`.padEnd(COLUMN - 3)} ${first}`, ...rest.map((l) => `${' '.repeat(COLUMN)}${l}`));
    }
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** `args` parsed by `workflow`'s options; an option of the other workflow is named as such. */
export function parseOptions(workflow: Workflow, args: readonly string[]): OptionValues {
  for (const a of args) {
    const name = /^--([^=]+)/.exec(a)?.[1];
    const o = OPTIONS.find((x) => x.name === name);
    if (o !== undefined && o.help[workflow] === undefined) {
      const other = Object.keys(o.help).join(' and ');
      throw new UsageError(`--${o.name}: an option of ${other}, not of ${workflow}`, { hint: 'see --help for the options' });
    }
  }
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const o of OPTIONS) {
    if (o.help[workflow] === undefined) continue;
    options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  try {
    return parseArgs({ args: [...args], strict: true, allowPositionals: false, options }).values as OptionValues;
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: 'see --help for the options' });
  }
}
