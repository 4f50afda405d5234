// The test suite's own labs: each in a directory `sriov-lxc-test-*` under the temp directory,
// marked with the test process that owns it (pid and start time). When ava's timeout fires or a
// worker is killed, its after.always hooks never run and the lab's detached supervisor stays; the
// sweep (`lab.ts sweep`, run before `npm test` and by .ci/run) takes down the labs whose owner is
// gone. `npm run bench`'s work directory (`sriov-lxc-bench-*`, its labs inside) is marked the same
// way: a bench killed with SIGKILL cannot clean up after itself (lab/interrupt.ts handles the
// signals it can catch). A lab a person started (no such directory, no marker) and a running
// test's or bench's lab are left.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from './down.ts';
import { isRunning, recordOf, type ProcessRecord } from './processes.ts';

export const SUITE_LAB_PREFIX = 'sriov-lxc-test-';
export const BENCH_WORK_PREFIX = 'sriov-lxc-bench-';
const MARKER = '.sriov-lxc-test-owner';

/** Who leaves each kind of swept directory behind, for the sweep's report. */
const LEFT_BY: Record<string, string> = { [SUITE_LAB_PREFIX]: 'a killed test run', [BENCH_WORK_PREFIX]: 'a killed npm run bench' };

/** A new private directory `prefix*` under `parent`, marked as this process's. */
function ownedDir(prefix: string, parent: string): string {
  const dir = mkdtempSync(join(parent, prefix));
  writeFileSync(join(dir, MARKER), `${JSON.stringify(recordOf(process.pid))}\n`, { mode: 0o600, flag: 'wx' });
  return dir;
}

/** A new directory for a test's lab(s), marked as this test process's. */
export function suiteLabDir(name: string, parent = tmpdir()): string {
  return ownedDir(`${SUITE_LAB_PREFIX}${name}-`, parent);
}

/** A new work directory for `npm run bench` (its labs, state and playbooks), marked as this process's. */
export function benchWorkDir(parent = tmpdir()): string {
  return ownedDir(BENCH_WORK_PREFIX, parent);
}

const ours = (st: Stats): boolean => st.uid === process.getuid?.() && (st.mode & 0o022) === 0;

/** The owner recorded in a suite directory's marker, if the directory and marker are ours and untampered. */
function ownerOf(dir: string): ProcessRecord | undefined {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || !ours(st)) return undefined;
    const marker = join(dir, MARKER);
    const mst = lstatSync(marker);
    if (!mst.isFile() || !ours(mst)) return undefined;
    const record = JSON.parse(readFileSync(marker, 'utf8')) as Partial<ProcessRecord>;
    if (!Number.isInteger(record.pid) || typeof record.startTime !== 'string') return undefined;
    return { pid: record.pid!, startTime: record.startTime };
  } catch {
    return undefined;
  }
}

/**
 * The lab directories (holding lab.json) in a suite directory, at most six levels down (a test's
 * checkout of the repository holds its labs in CHECKOUT/.lab), never through links nor into a lab.
 */
function labDirsIn(dir: string, depth = 6): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.some((e) => e.name === 'lab.json' && e.isFile())) return [dir];
  if (depth === 0) return [];
  return entries
    .filter((e) => e.isDirectory() && !['.git', 'node_modules'].includes(e.name))
    .flatMap((e) => labDirsIn(join(dir, e.name), depth - 1));
}

export interface SweepResult {
  /** Suite and bench directories removed, with the labs taken down in them and who left them. */
  removed: { dir: string; labs: string[]; leftBy: string }[];
  /** Suite directories kept: a lab in it could not be taken down. */
  failed: { dir: string; error: string }[];
}

/** Takes down the labs of test and bench processes that are gone, and removes their directories. */
export async function sweepSuiteLabs(parent = tmpdir()): Promise<SweepResult> {
  const result: SweepResult = { removed: [], failed: [] };
  for (const name of readdirSync(parent)) {
    const prefix = Object.keys(LEFT_BY).find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const dir = join(parent, name);
    const owner = ownerOf(dir);
    if (!owner || isRunning(owner)) continue;
    const labs = labDirsIn(dir);
    try {
      for (const lab of labs) await labDown(lab);
      rmSync(dir, { recursive: true, force: true });
      result.removed.push({ dir, labs, leftBy: LEFT_BY[prefix]! });
    } catch (error) {
      result.failed.push({ dir, error: (error as Error).message });
    }
  }
  return result;
}
