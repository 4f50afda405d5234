// The benchmark result document: raw samples of every repetition, per target (the host and each
// container), plus the penalties derived from them (estimate, interval, verdict). One document per
// host and run, stored on the controller as <stateDir>/hosts/<host>/runs/<runId>/benchmark.json.
// Version 2 added the intervals, verdicts, the measurement order and the gate; version 3 what was
// measured (measuredOn), paired rounds and the adaptive schedule (adaptive, each
// penalty's halfWidth and rounds). store.ts reads older documents: version 1's penalties are recomputed from
// its samples; before version 3, measuredOn is empty, so such a result stands for no node.
import { z } from 'zod';
import { VERDICTS } from '../stats/verdict.ts';
import { BENCH_PROFILES } from '../../inventory/schema.ts';

export const RESULT_FORMAT = 'sriov-lxc.benchmark';
export const RESULT_VERSION = 3;

export type BenchTarget = { kind: 'host' } | { kind: 'container'; name: string };

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNegative = finite.refine((n) => n >= 0, 'must not be negative');

const iperf3SampleSchema = z.strictObject({
  /** bits/s counted by the receiver: what arrived. */
  receivedBps: nonNegative,
  sentBps: nonNegative,
  /** TCP retransmits seen by the sender; null when iperf3 did not report them. */
  retransmits: z.number().int().nonnegative().nullable(),
});

const fioDirectionSchema = z.strictObject({
  iops: nonNegative,
  /** bytes/s (fio's bw_bytes). */
  bwBytes: nonNegative,
  /** Mean total latency (submission + completion) in ns. */
  latMeanNs: nonNegative,
  /** I/Os completed. */
  ios: z.number().int().nonnegative(),
});

const fioSampleSchema = z.strictObject({ read: fioDirectionSchema, write: fioDirectionSchema });

const targetLabel = z.string().min(1);

const skippedSchema = z.strictObject({ status: z.literal('skipped'), reason: z.string().min(1) });

const iperf3Schema = z.discriminatedUnion('status', [
  z.strictObject({
    status: z.literal('ran'),
    peer: z.string(),
    omit: z.number().int().nonnegative(),
    time: z.number().int().positive(),
    runs: z.array(z.strictObject({
      target: targetLabel,
      direction: z.enum(['forward', 'reverse']),
      samples: z.array(iperf3SampleSchema).min(1),
    })),
  }),
  skippedSchema,
]);

const fioTestSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  vary: z.enum(['iodepth', 'bs', 'numjobs']),
  rw: z.enum(['write', 'randread', 'randwrite', 'randrw']),
  bs: z.number().int().positive(),
  iodepth: z.number().int().positive(),
  numjobs: z.number().int().positive(),
  values: z.array(z.number().int().positive()).min(1),
  points: z.array(z.strictObject({
    value: z.number().int().positive(),
    target: targetLabel,
    samples: z.array(fioSampleSchema).min(1),
  })),
});

const fioSchema = z.strictObject({
  directory: z.string(),
  /** Whether O_DIRECT was used; `directNote` says why not. */
  direct: z.boolean(),
  directNote: z.string().optional(),
  /** The fio points' minimum rounds (their intervals' first stage); absent: the document's `repetitions` (before fio had its own). */
  repetitions: z.number().int().positive().optional(),
  /** One fio run's --runtime. */
  runtimeMs: z.number().int().positive(),
  rampMs: z.number().int().nonnegative(),
  sizeBytes: z.number().int().positive(),
  /** Each sample is two runs of a round, in its order and back, merged (run/fio-runs.ts); absent: one run (before it existed). */
  mirrored: z.boolean().optional(),
  tests: z.array(fioTestSchema),
});

export const METRICS = ['throughput', 'iops', 'bw', 'latency'] as const;
export type Metric = (typeof METRICS)[number];

const penaltySchema = z.strictObject({
  /** 'iperf3' or a fio test id. */
  test: z.string(),
  /** iperf3: 'forward' | 'reverse'; fio: the varied parameter's value. */
  point: z.string(),
  container: z.string(),
  metric: z.enum(METRICS),
  host: finite,
  lxc: finite,
  /** Positive: the container is worse (fewer IOPS/bits, more latency); from the geometric means. null: n/a. */
  penaltyPct: finite.nullable(),
  /** The penalty's interval (percent) at the document's confidence; null: n/a. */
  ci: z.strictObject({ low: finite, high: finite }).nullable(),
  /** Half the interval's width in percentage points (the smallest penalty this run could have seen); null: n/a. */
  halfWidth: finite.nullable(),
  /** Rounds compared (host and container measured in the same round). */
  rounds: z.number().int().nonnegative(),
  verdict: z.enum(VERDICTS),
  /** verdict === 'penalty': the whole interval is beyond the threshold. */
  flagged: z.boolean(),
});

/** Metric families of the gate (benchmark.maxPenalty): iperf3 throughput is `network`. */
export const METRIC_FAMILIES = ['network', 'iops', 'bandwidth', 'latency'] as const;
export type MetricFamily = (typeof METRIC_FAMILIES)[number];
export const FAMILY_OF: Record<Metric, MetricFamily> = { throughput: 'network', iops: 'iops', bw: 'bandwidth', latency: 'latency' };

export const benchmarkDocumentSchema = z.strictObject({
  format: z.literal(RESULT_FORMAT),
  version: z.literal(RESULT_VERSION),
  host: z.string(),
  runId: z.string(),
  profile: z.enum(BENCH_PROFILES),
  /** The minimum rounds of every point (the iperf3 points'; the fio points' too unless `fio.repetitions`). */
  repetitions: z.number().int().positive(),
  /** Hash of the stage's inputs (the benchmark plan and the containers) when this ran. */
  inputsHash: z.string(),
  /** What was measured, input by input (benchmark/results/identity.ts): the node, its configuration, the plan. Empty: not recorded (before version 3). */
  measuredOn: z.record(z.string(), z.string()),
  startedAt: z.string(),
  finishedAt: z.string(),
  penaltyThreshold: z.number().min(0),
  /** Two-sided confidence of the penalties' intervals. */
  confidence: z.number().gt(0).lt(1),
  /** The gate: per metric family, the penalty (percent) that fails the stage when the whole interval is past it. */
  maxPenalty: z.partialRecord(z.enum(METRIC_FAMILIES), z.number().min(0)),
  /** Per round, the targets in the order they were measured (the same at every point that has the round). */
  order: z.array(z.array(targetLabel)),
  /** The adaptive rounds: the precision aimed at, the time budget, and the points left wider than the precision. */
  adaptive: z.strictObject({
    precision: z.number().gt(0),
    budgetSeconds: z.number().nonnegative(),
    spentSeconds: z.number().nonnegative(),
    /** Some point was still wider than the precision when the budget ran out. */
    budgetExhausted: z.boolean(),
    imprecise: z.array(z.string()),
  }).nullable(),
  /** 'host' first, then the containers, in the inventory's order. */
  targets: z.array(targetLabel).min(1),
  iperf3: iperf3Schema,
  fio: fioSchema,
  iozone: skippedSchema,
  penalties: z.array(penaltySchema),
});

export type Iperf3Sample = z.infer<typeof iperf3SampleSchema>;
export type FioDirectionSample = z.infer<typeof fioDirectionSchema>;
export type FioSample = z.infer<typeof fioSampleSchema>;
export type Iperf3Results = z.infer<typeof iperf3Schema>;
export type FioTestResult = z.infer<typeof fioTestSchema>;
export type FioPoint = FioTestResult['points'][number];
export type Penalty = z.infer<typeof penaltySchema>;
export type BenchmarkDocument = z.infer<typeof benchmarkDocumentSchema>;

/** The fio points' minimum rounds (their intervals' first stage): their own when the run recorded it, the run's otherwise. */
export function fioRepetitions(doc: Pick<BenchmarkDocument, 'fio' | 'repetitions'>): number {
  return doc.fio.repetitions ?? doc.repetitions;
}

export const HOST_LABEL = 'host';

export function targetLabelOf(target: BenchTarget): string {
  return target.kind === 'host' ? HOST_LABEL : target.name;
}

/** Validates a parsed document; `source` names where it came from in the error. */
export function parseBenchmarkDocument(data: unknown, source: string): BenchmarkDocument {
  const result = benchmarkDocumentSchema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
  throw new Error(`${source} is not a benchmark result (${RESULT_FORMAT} v${RESULT_VERSION}):\n  ${issues.join('\n  ')}`);
}

export function flaggedPenalties(doc: BenchmarkDocument): Penalty[] {
  return doc.penalties.filter((p) => p.flagged);
}
