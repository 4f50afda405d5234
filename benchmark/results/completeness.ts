// Whether a stored benchmark result has every measurement it should: each of the profile's fio
// tests, each point on each target, iperf3 both ways on each target, all repetitions.
import type { BenchProfile } from '../run/profiles.ts';
import { fioRepetitions } from './results.ts';
import type { BenchmarkDocument } from './results.ts';

/** What is missing, as lines a person can read; empty when the result is complete. */
export function missingMeasurements(doc: BenchmarkDocument, profile: BenchProfile): string[] {
  const missing: string[] = [];
  const count = (what: string, samples: number | undefined, least = doc.repetitions): void => {
    if (samples === undefined) missing.push(`${what}: not measured`);
    else if (samples < least) missing.push(`${what}: ${samples} of ${least} repetitions`);
  };
  for (const test of profile.fioTests) {
    if (!doc.fio.tests.some((t) => t.id === test.id)) missing.push(`fio test ${test.id}: not measured`);
  }
  for (const test of doc.fio.tests) {
    for (const value of test.values) {
      for (const target of doc.targets) {
        const point = test.points.find((p) => p.value === value && p.target === target);
        count(`fio ${test.id} ${test.vary}=${value} on ${target}`, point?.samples.length, fioRepetitions(doc));
      }
    }
  }
  if (doc.iperf3.status === 'ran') {
    for (const target of doc.targets) {
      for (const direction of ['forward', 'reverse'] as const) {
        const run = doc.iperf3.runs.find((r) => r.target === target && r.direction === direction);
        count(`iperf3 ${direction} on ${target}`, run?.samples.length);
      }
    }
  }
  return missing;
}
