// Benchmark results on the controller: the run artefact `benchmark.json` of each run
// (<stateDir>/hosts/<host>/runs/<runId>/benchmark.json, written atomically by state/results.ts).
import path from 'node:path';
import { listRuns, readRunArtifact, writeRunArtifact } from '../../state/results.ts';
import { runDir } from '../../state/state-dir.ts';
import { StateError } from '../../core/errors.ts';
import { computePenalties } from '../stats/analysis.ts';
import { parseBenchmarkDocument, RESULT_VERSION } from './results.ts';
import type { BenchmarkDocument } from './results.ts';
import { CONFIDENCE } from '../stats/verdict.ts';

const ARTIFACT = 'benchmark.json';

export function benchmarkResultPath(stateDir: string, host: string, runId: string): string {
  return path.join(runDir(stateDir, host, runId), ARTIFACT);
}

export function writeBenchmarkResult(stateDir: string, doc: BenchmarkDocument): string {
  return writeRunArtifact(stateDir, doc.host, doc.runId, ARTIFACT, `${JSON.stringify(doc, null, 2)}\n`);
}

/** The document of one run, or undefined when that run has no benchmark result. */
export function readBenchmarkResult(stateDir: string, host: string, runId: string): BenchmarkDocument | undefined {
  const text = readRunArtifact(stateDir, host, runId, ARTIFACT);
  if (text === undefined) return undefined;
  const file = benchmarkResultPath(stateDir, host, runId);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${file} is not valid JSON: ${(error as Error).message}`, {
      hint: 'the file was damaged outside sriov-lxc; run the benchmark stage again to replace it',
    });
  }
  try {
    return parseBenchmarkDocument(upgraded(data), file);
  } catch (error) {
    throw new StateError((error as Error).message, { hint: 'written by another sriov-lxc version, or edited by hand; run the benchmark again' });
  }
}

/**
 * An older document as the current version. Version 1 (penalties from medians, no intervals): its
 * penalties are derived data, recomputed from its samples; its order was host first at every
 * repetition. Versions 1 and 2 did not record what they measured (measuredOn is empty) nor adapt
 * their rounds (adaptive is null); their penalties are recomputed, paired by repetition as they
 * were interleaved.
 */
function upgraded(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const version = (data as { version?: unknown }).version;
  if (version === 2) {
    const doc = parseBenchmarkDocument({ ...data, version: RESULT_VERSION, measuredOn: {}, adaptive: null, penalties: [] }, 'a version 2 benchmark result');
    return { ...doc, penalties: computePenalties(doc) };
  }
  if (version !== 1) return data;
  const old = data as { repetitions?: unknown; targets?: unknown; penalties?: unknown };
  const targets = Array.isArray(old.targets) ? (old.targets as unknown[]) : [];
  const v2 = {
    ...old, version: RESULT_VERSION, confidence: CONFIDENCE, maxPenalty: {}, measuredOn: {}, adaptive: null,
    order: Array.from({ length: typeof old.repetitions === 'number' ? old.repetitions : 0 }, () => targets), penalties: [],
  };
  const doc = parseBenchmarkDocument(v2, 'a version 1 benchmark result');
  return { ...doc, penalties: computePenalties(doc) };
}

/** Every run of the host that has a benchmark result, oldest first (by start time). */
export function listBenchmarkRuns(stateDir: string, host: string): BenchmarkDocument[] {
  return listRuns(stateDir, host)
    .flatMap((runId) => {
      const doc = readBenchmarkResult(stateDir, host, runId);
      return doc ? [doc] : [];
    })
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
}
