// The report as JSON: the stored result document (raw samples, penalties), plus the comparison
// with an earlier run when asked for.
import type { BenchmarkDocument } from '../results/results.ts';
import type { RunComparison } from './compare.ts';

export function renderJson(doc: BenchmarkDocument, comparison?: RunComparison): string {
  return `${JSON.stringify(comparison ? { ...doc, comparison } : doc, null, 2)}\n`;
}
