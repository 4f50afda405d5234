// The lab state file (DIR/lab.json): everything a lab creates is recorded here BEFORE it is
// created, so `down` can remove it even after a crashed `up`. Written atomically.
// Root deletes, signals and unmounts what it names: the directory and the file are trusted only
// when they are ours and nobody else can write them (no links), like the state directory, and
// what the file names must be this lab's (paths inside its directory, its slot's names).
import { lstatSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { modeText, privateDirProblem } from '../state/private-dir.ts';
import type { Firmware, Flavour } from './layout.ts';
import { labPaths } from './layout.ts';
import type { ProcessRecord } from './processes.ts';
import { SLOT_REGISTRY } from './slots.ts';

export interface LabState {
  version: 1;
  dir: string;
  slot: number;
  flavour: Flavour;
  /** Absent in labs created before UEFI nodes existed: bios. */
  firmware?: Firmware;
  /** The NIC model of every node (lab/node/nics.conf); absent in labs from before NIC models: 82599. */
  nic?: string;
  nodeCount: number;
  /** Delay between a node's power-off and its next boot (the "POST"). */
  bootDelayMs: number;
  /** Whether `up` created the directory itself (then `down` removes it). */
  createdDir: boolean;
  created: {
    slotFile?: string;
    netns: string[];
    rootLinks: string[];
    cgroups: string[];
    /** Paths inside the lab directory. */
    paths: string[];
    /** Mount points inside the lab directory (absent in labs from before the nodes' tmpfs). */
    mounts?: string[];
  };
  supervisor?: ProcessRecord;
  peerIperf?: ProcessRecord;
}

const uid = (): number => process.getuid?.() ?? 0;

/** Why the lab directory may not be trusted (another user owns or can write it, or it is a link); undefined when it may. */
export function labDirProblem(dir: string): string | undefined {
  const problem = privateDirProblem(dir, uid());
  return problem === undefined ? undefined : `the lab directory ${dir}: ${problem}`;
}

/** Why lab.json may not be trusted; undefined when it may. */
function stateFileProblem(path: string): string | undefined {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return `${path} is a symbolic link`;
  if (!st.isFile()) return `${path} is not a regular file`;
  if (st.uid !== uid()) return `${path} is owned by uid ${st.uid}, not by uid ${uid()} (this process)`;
  if ((st.mode & 0o022) !== 0) return `${path} has mode ${modeText(st.mode)}: others can write it`;
  return undefined;
}

const inside = (dir: string, path: string): boolean => isAbsolute(path) && normalize(path) === path && path.startsWith(`${dir}/`);

/** What in the state names something that is not this lab's. */
function contentProblems(dir: string, state: LabState): string[] {
  const problems: string[] = [];
  if (state.dir !== dir) problems.push(`it belongs to ${String(state.dir)}`);
  if (!Number.isInteger(state.slot) || state.slot < 0) problems.push(`slot ${String(state.slot)}`);
  const prefix = `sl${state.slot}-`;
  const created = state.created ?? { netns: [], rootLinks: [], cgroups: [], paths: [] };
  for (const p of created.paths ?? []) if (!inside(dir, p)) problems.push(`path ${p} is outside the lab directory`);
  for (const p of created.mounts ?? []) if (!inside(dir, p)) problems.push(`mount point ${p} is outside the lab directory`);
  for (const n of [...(created.netns ?? []), ...(created.rootLinks ?? [])]) if (!n.startsWith(prefix)) problems.push(`${n} is not a name of slot ${state.slot}`);
  for (const c of created.cgroups ?? []) {
    if (!inside('/sys/fs/cgroup', c) || !c.endsWith(`/sriov-lab-${state.slot}`)) problems.push(`cgroup ${c} is not the lab's`);
  }
  if (created.slotFile !== undefined && created.slotFile !== join(SLOT_REGISTRY, `slot-${state.slot}`)) problems.push(`slot file ${created.slotFile}`);
  return problems;
}

export function readState(dirOption: string): LabState | undefined {
  const dir = resolve(dirOption);
  const path = labPaths(dir).state;
  try {
    lstatSync(path);
  } catch {
    return undefined;
  }
  const refuse = (why: string): Error =>
    new Error(`refusing the lab state ${path}: ${why}; a lab's directory and lab.json must be this user's alone (mode 0700 or 0755, no links); nothing was changed`);
  const problem = labDirProblem(dir) ?? stateFileProblem(path);
  if (problem !== undefined) throw refuse(problem);
  const state = JSON.parse(readFileSync(path, 'utf8')) as LabState;
  if (state.version !== 1) throw new Error(`${path}: unknown lab state version ${String(state.version)}; remove the lab by hand`);
  const problems = contentProblems(dir, state);
  if (problems.length > 0) throw refuse(`it names what is not this lab's: ${problems.join('; ')}`);
  return state;
}

export function writeState(state: LabState): void {
  const path = labPaths(state.dir).state;
  const problem = labDirProblem(state.dir);
  if (problem !== undefined) throw new Error(`not writing ${path}: ${problem}`);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  renameSync(`${path}.tmp`, path);
}

/** Records something about to be created (write-ahead), then returns it. */
export function remember<T extends string>(state: LabState, list: keyof LabState['created'], item: T): T {
  if (list === 'slotFile') {
    state.created.slotFile = item;
  } else {
    const current = (state.created[list] ??= []);
    if (!current.includes(item)) current.push(item);
  }
  writeState(state);
  return item;
}
