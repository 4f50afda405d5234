// Helpers of the fault, crash and signal tests, on top of lab-fixture.ts (one lab per test file,
// the CLI as a child process): the journal of a host, a CLI run stopped by a signal the moment a
// condition on its state dir or the node holds, inventories derived from the lab's, and a text
// snapshot of what provisioning leaves on a node.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import type { ExecutionContext } from 'ava';
import type { Flavour } from '../../lab/index.ts';
import { readJournal, type JournalEntry } from '../../state/journal.ts';
import type { HostCheckpoint } from '../../state/types.ts';
import { NODE, finished, firstNode, onNode, readCheckpointFile, spawnCli, startTestLab, type CliResult, type Lab } from './lab-fixture.ts';

/**
 * A one-node lab for one test (lab-fixture's useLab is per file, in a before hook, which would
 * also run for a file's fast tests): a unique directory under os.tmpdir(), down at teardown.
 */
export async function labForTest(t: ExecutionContext, flavour: Flavour): Promise<Lab> {
  const { labs, stop } = await startTestLab(`fault-${flavour}`, flavour);
  t.teardown(stop);
  return firstNode(labs);
}

export function journal(stateDir: string): JournalEntry[] {
  return readJournal(stateDir, NODE).entries;
}

/** What a stop condition sees while the CLI runs: the journal entries of this run and the checkpoint. */
export interface RunView {
  events: JournalEntry[];
  checkpoint: HostCheckpoint | undefined;
}

/** A moment of a run at which to stop it. */
export interface StopPoint {
  title: string;
  /** The moment has come: send the signal. */
  when: (view: RunView) => boolean;
  /** The moment went by without coming in this run (e.g. the stage was done without an apply). */
  gone?: (view: RunView) => boolean;
}

export interface StoppedRun {
  result: CliResult;
  /** The point at which the signal was sent; undefined when the CLI ended by itself first. */
  stoppedAt?: StopPoint;
  /** When the signal was sent (ms since the epoch). */
  sentAt?: number;
  /** Points before it that went by without their moment. */
  passed: StopPoint[];
}

/**
 * Runs the CLI and sends `signal` at the first of `points` whose moment comes (polled every
 * 20 ms), in order: a point whose moment goes by is passed and the next one is watched.
 */
export async function runStoppedAt(
  stateDir: string,
  args: readonly string[],
  points: readonly StopPoint[],
  signal: NodeJS.Signals = 'SIGKILL',
  timeoutMs = 240_000,
): Promise<StoppedRun> {
  const before = journal(stateDir).length;
  const child = spawnCli('provision', args);
  const done = finished(child, timeoutMs);
  let exited = false;
  void done.then(() => (exited = true));
  const passed: StopPoint[] = [];
  while (!exited) {
    const view = { events: journal(stateDir).slice(before), checkpoint: readCheckpointFile(stateDir) };
    for (const point of points.slice(passed.length)) {
      if (point.when(view)) {
        const sentAt = Date.now();
        child.kill(signal);
        return { result: await done, stoppedAt: point, sentAt, passed };
      }
      if (!point.gone?.(view)) break;
      passed.push(point);
    }
    await delay(20);
  }
  return { result: await done, passed };
}

const stageDone = (stage: string) => (v: RunView) => v.checkpoint?.stages[stage]?.status === 'done';

/** Stop points of one stage. */
export const atStage = {
  /** Its `running` is on disk and its apply has started; gone when it is done without an apply. */
  applying: (stage: string): StopPoint => ({
    title: `in the middle of ${stage}'s apply`,
    when: (v) => v.events.some((e) => e.event === 'stage-apply' && e.stage === stage),
    gone: stageDone(stage),
  }),
  done: (stage: string): StopPoint => ({ title: `after ${stage} is done`, when: stageDone(stage) }),
};

/**
 * Writes a copy of the lab's inventory, changed by `edit` (given node1's mapping and the
 * defaults), next to it; returns its path.
 */
export function derivedInventory(lab: Lab, name: string, edit: (host: Record<string, unknown>, defaults: Record<string, unknown>) => void): string {
  const doc = parse(readFileSync(lab.info.inventoryPath, 'utf8')) as { defaults: Record<string, unknown>; hosts: Record<string, Record<string, unknown>> };
  const host = doc.hosts[NODE];
  if (!host) throw new Error(`${lab.info.inventoryPath} has no ${NODE}`);
  edit(host, doc.defaults);
  const dir = join(lab.dir, 'derived');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(doc, { aliasDuplicateObjects: false }));
  return path;
}

// What provisioning changes on a node (see README "The stages"): modules, hugepages, grub, the
// VF MAC unit and script, LXC containers' configs and the template patch, the driver build.
const SNAPSHOT_PATHS = [
  '/etc/modules-load.d',
  '/etc/modprobe.d',
  '/etc/sysctl.d',
  '/etc/fstab',
  '/etc/default',
  '/etc/udev/rules.d',
  '/etc/systemd/system',
  '/usr/local/sbin',
  '/usr/share/lxc/config',
  '/boot',
  '/var/lib/sriov-lxc',
];

/**
 * Every file, directory and link under the paths provisioning changes (and each container's
 * directory but its rootfs): path → type, mode, link target and content hash, with the lab's
 * subnet and disk UUIDs made neutral so that the nodes of two labs compare.
 */
export async function nodeSnapshot(lab: Lab): Promise<Map<string, string>> {
  const script = [
    'for p in "$@" /var/lib/lxc; do',
    '  [ -e "$p" ] || { printf "%s\\tmissing\\n" "$p"; continue; }',
    '  find "$p" -path "/var/lib/lxc/*/rootfs" -prune -o -printf "%p\\t%y %m %l\\n" | while IFS="$(printf "\\t")" read -r f what; do',
    '    case "$what" in f*) what="$what $(sed -E "$NORMALISE" "$f" | sha256sum | cut -d" " -f1)" ;; esac',
    '    printf "%s\\t%s\\n" "$f" "$what"',
    '  done',
    'done',
  ].join('\n');
  const out = await onNode(lab, ['env', `NORMALISE=${normalising(lab)}`, 'sh', '-c', script, 'sh', ...SNAPSHOT_PATHS]);
  return new Map(out.split('\n').filter((l) => l !== '').map((l) => l.split('\t') as [string, string]));
}

function subnetPrefix(lab: Lab): string {
  return lab.info.subnet.replace(/0\/\d+$/, '');
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** sed -E script: the lab's subnet and the UUIDs of its disks (in fstab, grub.cfg) made neutral. */
function normalising(lab: Lab): string {
  return `s/${subnetPrefix(lab).replaceAll('.', '\\.')}/SUBNET./g; s/${UUID}/UUID/g`;
}

/** The paths whose entries differ between two snapshots, each with both sides. */
export function snapshotDifferences(a: Map<string, string>, b: Map<string, string>): string[] {
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.filter((p) => a.get(p) !== b.get(p)).map((p) => `${p}: ${a.get(p) ?? 'absent'} ≠ ${b.get(p) ?? 'absent'}`);
}

/** A text file of the node, made neutral like in nodeSnapshot, for showing a difference. */
export async function nodeText(lab: Lab, path: string): Promise<string> {
  return onNode(lab, ['sed', '-E', normalising(lab), '--', path]);
}
