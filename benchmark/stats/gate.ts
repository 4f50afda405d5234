// The benchmark as an acceptance step: the inventory's benchmark.maxPenalty (percent per metric
// family) fails the stage when a container's penalty is past it for sure, i.e. the whole interval
// is; a point within the noise never fails it, however large its estimate.
import { FAMILY_OF } from '../results/results.ts';
import type { BenchmarkDocument, Penalty } from '../results/results.ts';

export function gateFailures(doc: BenchmarkDocument): Penalty[] {
  return doc.penalties.filter((p) => {
    const limit = doc.maxPenalty[FAMILY_OF[p.metric]];
    return limit !== undefined && p.ci !== null && p.ci.low > limit;
  });
}
