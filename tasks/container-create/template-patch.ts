// Template patches ({file, find, replace}, named ones shipped in inventory/
// template-patches.ts): where one stands on the node and what applying it writes. A patch is done
// when its replacement is there and the text to find is not (`replace` may contain `find`'s
// beginning, as the centos7-slow-boot patch does, so `find` is looked at first).
import { FatalError } from '../../core/errors.ts';
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
