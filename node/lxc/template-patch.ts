// Template patches ({file, find, replace}, named ones shipped in inventory/
// template-patches.ts): where one stands on the node and what applying it writes. A patch is done
// when its replacement is there and the text to find is not (`replace` may contain `find`'s
// beginning, as the centos7-slow-boot patch does, so `find` is looked at first).
import { FatalError } from '../../core/errors.ts';
import type { Host } from '../../hosts/host.ts';
import type { TemplatePatch } from '../../inventory/plan.ts';
import { unifiedDiff } from '../parse/diff.ts';

export const BACKUP_SUFFIX = '.sriov-lxc.bak';

export type PatchState =
  | { state: 'applied' }
  | { state: 'not-needed'; reason: string }
  | { state: 'pending'; patched: string; diff: string };

/** Where `patch` stands, given the file's content (undefined: no such file). */
export function patchState(patch: TemplatePatch, content: string | undefined): PatchState {
  const named = patch.name !== 'custom';
  if (content === undefined) {
    if (named) return { state: 'not-needed', reason: `not needed: ${patch.file} does not exist on this node (no such template config)` };
    throw new FatalError(`patch does not apply: ${patch.file} does not exist`, { hint: 'check the file of this template patch in the inventory' });
  }
  if (content.includes(patch.find)) {
    // split/join: every occurrence, and no `$&`-style patterns from String.replace.
    const patched = content.split(patch.find).join(patch.replace);
    return { state: 'pending', patched, diff: unifiedDiff(patch.file, content, patched) };
  }
  if (content.includes(patch.replace)) return { state: 'applied' };
  if (named) return { state: 'not-needed', reason: `not needed: this LXC's ${patch.file} no longer has the bug` };
  throw new FatalError(`patch does not apply: ${patch.file} has neither the text to find nor the replacement`, {
    hint: `compare the patch's find/replace in the inventory with ${patch.file} on the node (another LXC version?)`,
  });
}

/** Each patch once, however many containers list it. */
export function uniquePatches(patches: readonly TemplatePatch[]): TemplatePatch[] {
  const seen = new Set<string>();
  return patches.filter((p) => {
    const key = JSON.stringify([p.file, p.find, p.replace]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface Ownership {
  mode: number;
  uid: number;
  gid: number;
}

/** Mode and owner of the file to patch (`stat -c '%a %u %g %F'`, GNU coreutils: "755 0 0 regular file"). */
async function ownership(host: Host, path: string): Promise<Ownership> {
  const out = (await host.run(['stat', '-c', '%a %u %g %F', '--', path])).stdout.trim();
  const m = /^([0-7]{1,4}) (\d+) (\d+) (.+)$/.exec(out);
  if (!m) throw new FatalError(`cannot read the mode and owner of ${path}: stat printed ${JSON.stringify(out)}`, { hint: 'check that GNU coreutils stat is installed on the node' });
  if (m[4] !== 'regular file' && m[4] !== 'regular empty file') {
    throw new FatalError(`${path} is a ${m[4]}, not a regular file: a template patch replaces the file itself`, { hint: 'patch the file it stands for instead (readlink -f on the node)' });
  }
  return { mode: Number.parseInt(m[1]!, 8), uid: Number(m[2]), gid: Number(m[3]) };
}

/**
 * Writes `content` with the mode and owner `own` (a template that lost its x bit is refused by
 * lxc-create; a 0600 file must not become readable by all). The mode is set on the temporary file
 * before it takes the name; an owner other than root follows, and chown clears set-id bits, so
 * the mode is set again then.
 */
async function writeKeeping(host: Host, path: string, content: string, own: Ownership): Promise<void> {
  await host.writeFile(path, content, { mode: own.mode });
  if (own.uid === 0 && own.gid === 0) return;
  await host.run(['chown', '-h', `${own.uid}:${own.gid}`, '--', path]);
  if (own.mode & 0o6000) await host.run(['chmod', own.mode.toString(8), '--', path]);
}

/**
 * Applies one patch when it is pending; the first backup (the pristine file) is kept over reruns.
 * The patched file and its backup keep the original's mode and owner. Returns whether it wrote.
 */
export async function applyPatch(host: Host, patch: TemplatePatch): Promise<boolean> {
  const content = await host.readFile(patch.file);
  const s = patchState(patch, content);
  if (s.state !== 'pending' || content === undefined) return false;
  const own = await ownership(host, patch.file);
  const backup = `${patch.file}${BACKUP_SUFFIX}`;
  if ((await host.readFile(backup)) === undefined) await writeKeeping(host, backup, content, own);
  await writeKeeping(host, patch.file, s.patched, own);
  return true;
}

/**
 * Puts the original back (teardown) with the mode and owner it had, which its backup kept, and
 * removes the backup.
 */
export async function restorePatched(host: Host, patch: TemplatePatch, original: string): Promise<void> {
  const backup = `${patch.file}${BACKUP_SUFFIX}`;
  await writeKeeping(host, patch.file, original, await ownership(host, backup));
  await host.run(['rm', '-f', '--', backup]);
}
