// Which stages of a workflow run now: --from, --only and --retry-failed, resolved against the
// checkpoint. Stages not selected keep their checkpoint as it is.
import { UsageError } from '../core/errors.ts';
import type { StageStatus } from '../state/types.ts';

export interface Selection {
  from?: string;
  only?: readonly string[];
  retryFailed?: boolean;
}

export type Decision = { run: true } | { run: false; reason: string };

function checkIds(ids: readonly string[], known: readonly string[], flag: string): void {
  for (const id of ids) {
    if (!known.includes(id)) {
      throw new UsageError(`${flag} ${id}: no such stage`, { hint: `stages are: ${known.join(', ')}` });
    }
  }
}

/** Validates the selection's stage ids; throws UsageError (exit 2) naming the known stages. */
export function validateSelection(selection: Selection, stageIds: readonly string[]): void {
  if (selection.from) checkIds([selection.from], stageIds, '--from');
  if (selection.only) checkIds(selection.only, stageIds, '--only');
  if (selection.from && selection.only) throw new UsageError('--from and --only cannot be combined', { hint: 'use one of them' });
}

/**
 * One decision per stage, in order. With --retry-failed a host whose checkpoint has no failed stage
 * runs nothing; otherwise it starts at its first failed stage, or at the stage that stage names as
 * where its re-runs start (`retryFromOf`); earlier stages are not re-applied.
 */
export function decide(selection: Selection, stageIds: readonly string[], statusOf: (id: string) => StageStatus, retryFromOf: (id: string) => string | undefined = () => undefined): Decision[] {
  let start = 0;
  if (selection.retryFailed) {
    start = stageIds.findIndex((id) => statusOf(id) === 'failed');
    if (start < 0) return stageIds.map(() => ({ run: false, reason: 'no failed stage to retry' }));
    const from = stageIds.indexOf(retryFromOf(stageIds[start]!) ?? '');
    if (from >= 0 && from < start) start = from;
  }
  if (selection.from) start = Math.max(start, stageIds.indexOf(selection.from));
  return stageIds.map((id, i) => {
    if (selection.only && !selection.only.includes(id)) return { run: false, reason: 'not in --only' };
    if (i < start) return { run: false, reason: selection.retryFailed ? 'before the failed stage' : `before --from ${selection.from}` };
    return { run: true };
  });
}
