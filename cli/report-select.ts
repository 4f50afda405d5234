// Which stored results a report shows: the run asked for (or the latest), and the run to compare with.
import { UsageError } from '../core/errors.ts';
import type { BenchmarkDocument } from '../benchmark/results/results.ts';
import { listBenchmarkRuns } from '../benchmark/results/store.ts';
import { runsDir } from '../state/state-dir.ts';

export interface SelectedRuns {
  doc: BenchmarkDocument;
  base?: BenchmarkDocument;
}

function available(runs: readonly BenchmarkDocument[]): string {
  return runs.map((r) => `${r.runId} (${r.startedAt}, ${r.profile})`).join(', ');
}

export function selectRuns(stateDir: string, host: string, run?: string, compare?: string): SelectedRuns {
  const runs = listBenchmarkRuns(stateDir, host);
  if (runs.length === 0) {
    throw new UsageError(`no benchmark results for host ${host} in ${runsDir(stateDir, host)}`, {
      hint: 'run the benchmark stage first (npx zx workflows/provision.ts --host NAME --only benchmark), or name the right --state-dir',
    });
  }
  const index = run === undefined ? runs.length - 1 : runs.findIndex((r) => r.runId === run);
  const doc = runs[index];
  if (!doc) throw new UsageError(`--run ${run}: host ${host} has no benchmark results of that run`, { hint: `runs with results: ${available(runs)}` });
  if (compare === undefined) return { doc };
  const base = compare === 'previous' ? runs[index - 1] : runs.find((r) => r.runId === compare);
  if (!base) {
    throw new UsageError(compare === 'previous' ? `--compare previous: run ${doc.runId} is the first with benchmark results` : `--compare ${compare}: host ${host} has no benchmark results of that run`, {
      hint: `runs with results: ${available(runs)}`,
    });
  }
  if (base.runId === doc.runId) throw new UsageError(`--compare ${compare}: that is the run being reported`, { hint: 'name an earlier run' });
  return { doc, base };
}
