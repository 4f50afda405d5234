// What sriov-lxc wrote, and whether it is still as written: teardown removes a file only when its
// content is exactly what the provisioning stage writes from the same plan (the stages' content
// functions are pure and deterministic, so no hash needs recording); a file the operator changed
// since is left in place and named in the stage's outputs (`kept`), which the report lists.
import type { Host } from '../../hosts/host.ts';
import { unifiedDiff, type FileDiff } from '../parse/diff.ts';

/** A whole file a provisioning stage writes, with the content it writes from the plan. */
export interface OwnedFile {
  path: string;
  ours: string;
}

export interface KeptFile {
  path: string;
  why: string;
}

/** A `kept` list as a teardown stage recorded it. */
export function isKeptFiles(value: unknown): value is KeptFile[] {
  return Array.isArray(value) && value.every((k: Partial<KeptFile> | null) => typeof k?.path === 'string' && typeof k.why === 'string');
}

/** What every teardown stage records in its outputs: what it left in place for the operator, and why. */
export interface TeardownOutputs {
  [key: string]: unknown;
  kept: KeptFile[];
}

export type FileVerdict =
  | { path: string; state: 'absent' }
  | { path: string; state: 'ours' }
  | { path: string; state: 'changed'; current: string; ours: string };

export async function judgeFiles(host: Host, files: readonly OwnedFile[]): Promise<FileVerdict[]> {
  const out: FileVerdict[] = [];
  for (const f of files) {
    const current = await host.readFile(f.path);
    if (current === undefined) out.push({ path: f.path, state: 'absent' });
    else if (current === f.ours) out.push({ path: f.path, state: 'ours' });
    else out.push({ path: f.path, state: 'changed', current, ours: f.ours });
  }
  return out;
}

export const CHANGED_SINCE = 'changed since sriov-lxc wrote it: left in place';

export function keptOf(verdicts: readonly FileVerdict[]): KeptFile[] {
  return verdicts.filter((v) => v.state === 'changed').map((v) => ({ path: v.path, why: CHANGED_SINCE }));
}

/** The removal as a diff, for --dry-run. */
export function removalDiff(path: string, current: string, after = ''): FileDiff {
  return { path, diff: unifiedDiff(path, current, after) };
}

export async function removeFile(host: Host, path: string): Promise<void> {
  await host.run(['rm', '-f', '--', path]);
}
