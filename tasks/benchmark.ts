// Stage 9, benchmark: iperf3 and fio on the host and in every container, the same runs on both
// sides (paper section 4), results stored per host and run in the state dir. Re-runnable: check
// is done while the latest stored result measured this node as it is now (the same machine-id,
// PFs, kernel and cmdline, drivers, VFs, container limits, profile: results/identity.ts); the
// plan names each input that changed since.
import { stableHash } from '../state/hash.ts';
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { computePenalties } from '../benchmark/stats/analysis.ts';
import { gateFailures } from '../benchmark/stats/gate.ts';
import { benchProfile, estimatedSeconds, plannedComparisons, type BenchProfile } from '../benchmark/run/profiles.ts';
import { RESULT_FORMAT, RESULT_VERSION, flaggedPenalties } from '../benchmark/results/results.ts';
import type { BenchmarkDocument } from '../benchmark/results/results.ts';
import { benchTargets, measure } from '../benchmark/run/runner.ts';
import { benchmarkResultPath, listBenchmarkRuns, readBenchmarkResult, writeBenchmarkResult } from '../benchmark/results/store.ts';
import { missingMeasurements } from '../benchmark/results/completeness.ts';
import { gateLines, renderPenaltySummary } from '../benchmark/report/summary.ts';
import { CONFIDENCE, familyConfidence } from '../benchmark/stats/verdict.ts';
import { studentTQuantile } from '../benchmark/stats/student-t.ts';
import { changedInputs, identityArgv, parseIdentity, plannedInputs, type MeasuredOn } from '../benchmark/results/identity.ts';

function benchmarkInputs(plan: HostPlan): unknown {
  return { benchmark: plan.benchmark, containers: plan.containers.map((c) => ({ name: c.name, vf: c.vf, limits: c.limits, rate: c.rate ?? null })) };
}

// The node's side is read once per run and host (check and verify of a no-op run share it).
const observed = new WeakMap<StageContext['host'], { runId: string; inputs: Promise<MeasuredOn> }>();

/** The inputs of a measurement made now: the node as it is and the plan. */
function measuredOnNow(ctx: StageContext): Promise<MeasuredOn> {
  const seen = observed.get(ctx.host);
  if (seen && seen.runId === ctx.runId) return seen.inputs;
  const inputs = ctx.host.run(identityArgv(ctx.plan), { timeoutMs: 60_000 }).then((r) => ({ ...parseIdentity(r.stdout), ...plannedInputs(ctx.plan) }));
  observed.set(ctx.host, { runId: ctx.runId, inputs });
  return inputs;
}

interface Current {
  /** The stored result that stands for the node now: this run's, else the latest one measured with the same inputs. */
  result?: BenchmarkDocument;
  /** Otherwise, the latest result and what changed since it. */
  stale?: { result: BenchmarkDocument; changed: string[] };
}

async function currentResult(ctx: StageContext): Promise<Current> {
  const own = readBenchmarkResult(ctx.stateDir, ctx.plan.name, ctx.runId);
  if (own) return { result: own };
  const latest = listBenchmarkRuns(ctx.stateDir, ctx.plan.name).at(-1);
  if (!latest) return {};
  const changed = Object.keys(latest.measuredOn).length === 0
    ? ['the node it measured: not recorded (a result of an older sriov-lxc)']
    : changedInputs(latest.measuredOn, await measuredOnNow(ctx));
  return changed.length === 0 ? { result: latest } : { stale: { result: latest, changed } };
}

function minutes(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

async function check(ctx: StageContext): Promise<CheckResult> {
  const { result, stale } = await currentResult(ctx);
  // A result that failed the gate is not an accepted node: the next run measures again.
  const failedGate = result !== undefined && gateFailures(result).length > 0;
  if (result && !failedGate) {
    const flagged = flaggedPenalties(result).length;
    return {
      done: true,
      reason: `measured in run ${result.runId} (${result.finishedAt}, profile ${result.profile}), ` +
        `${flagged} penalt${flagged === 1 ? 'y' : 'ies'} beyond ${result.penaltyThreshold} %: ` +
        `${benchmarkResultPath(ctx.stateDir, result.host, result.runId)}`,
    };
  }
  const { plan } = ctx;
  const profile = benchProfile(plan.benchmark.profile, plan.benchmark.repetitions);
  const targets = benchTargets(plan);
  const points = profile.fioTests.reduce((n, t) => n + t.values.length, 0);
  const names = targets.map((t) => (t.kind === 'host' ? 'the host' : t.name)).join(', ');
  const iperf3 = plan.benchmark.peer === undefined
    ? 'no iperf3 (no benchmark.peer in the inventory)'
    : `iperf3 to ${plan.benchmark.peer} both directions (-O ${profile.iperf3.omit} -t ${profile.iperf3.time})`;
  return {
    done: false,
    plan: [
      ...(result && failedGate ? [`run ${result.runId} failed the gate (benchmark.maxPenalty): measure again`] : []),
      ...(stale ? [`measure again: changed since run ${stale.result.runId} (${stale.result.finishedAt}) measured this node:`, ...stale.changed.map((c) => `  ${c}`)] : []),
      `benchmark ${names} with profile ${profile.name}, ${repetitionsText(profile)}, about ${minutes(estimatedSeconds(profile, targets.length, plan.benchmark.peer !== undefined))}` +
        `, then more rounds where an interval is wider than ±${plan.benchmark.precision ?? profile.precision} points, for up to ${minutes(plan.benchmark.budget ?? profile.budgetSeconds)} in all:`,
      `  ${iperf3}`,
      `  fio's ${profile.fioTests.length} tests (${points} points) on ${plan.benchmark.fio.directory}, shared with the containers`,
      familyLine(profile, plannedComparisons(profile, targets.length - 1, plan.benchmark.peer !== undefined)),
      `store the results in ${benchmarkResultPath(ctx.stateDir, plan.name, ctx.runId)}`,
    ],
  };
}

/** "10 repetitions", or "10 repetitions (fio 20)" when the fio points' first stage is larger. */
function repetitionsText(profile: BenchProfile): string {
  return `${profile.repetitions} repetitions${profile.fioRepetitions === profile.repetitions ? '' : ` (fio ${profile.fioRepetitions})`}`;
}

/** What the run's family of verdicts costs in width with these minimum rounds, and the cure when it is more than 3 times one interval's. */
function familyLine(profile: BenchProfile, comparisons: number): string {
  const { repetitions, fioRepetitions } = profile;
  const quantile = (confidence: number, rounds: number) => studentTQuantile(1 - (1 - confidence) / 2, rounds - 1);
  const each = familyConfidence(CONFIDENCE, comparisons);
  const family = quantile(each, repetitions);
  const alone = quantile(CONFIDENCE, repetitions);
  const fio = fioRepetitions === repetitions ? '' : `; the fio points' ${quantile(each, fioRepetitions).toFixed(1)} with ${fioRepetitions - 1}`;
  return `  the ${comparisons} comparisons' verdicts hold together: t quantile ${family.toFixed(1)} with ${repetitions - 1} degrees of freedom (${alone.toFixed(1)} for one interval alone)${fio}` +
    (family > 3 * alone ? `; the intervals are ${(family / alone).toFixed(0)} times as wide: more minimum rounds (benchmark.repetitions, 6 or more) narrow them` : '');
}

async function apply(ctx: StageContext): Promise<void> {
  const profile = benchProfile(ctx.plan.benchmark.profile, ctx.plan.benchmark.repetitions);
  const startedAt = new Date().toISOString();
  const measuredOn = await measuredOnNow(ctx);
  const measured = await measure(ctx, profile);
  const base = {
    format: RESULT_FORMAT, version: RESULT_VERSION,
    host: ctx.plan.name, runId: ctx.runId, profile: profile.name, repetitions: profile.repetitions,
    inputsHash: stableHash(benchmarkInputs(ctx.plan)),
    measuredOn,
    startedAt, finishedAt: new Date().toISOString(),
    penaltyThreshold: ctx.plan.benchmark.penaltyThreshold,
    confidence: CONFIDENCE,
    maxPenalty: ctx.plan.benchmark.maxPenalty ?? {},
    ...measured,
  } as const;
  const doc: BenchmarkDocument = { ...base, penalties: computePenalties(base) };
  const file = writeBenchmarkResult(ctx.stateDir, doc);
  ctx.log(`results: ${file}`);
  for (const line of renderPenaltySummary(doc).split('\n')) ctx.log(line);
}

async function verify(ctx: StageContext): Promise<StageOutputs> {
  const { result, stale } = await currentResult(ctx);
  if (!result) {
    const why = stale ? `: changed since run ${stale.result.runId}: ${stale.changed.join('; ')}` : '';
    throw new FatalError(`no benchmark result for ${ctx.plan.name} as it is now${why}`, {
      hint: 'run the benchmark stage again (provision --only benchmark)',
    });
  }
  const resultsPath = benchmarkResultPath(ctx.stateDir, result.host, result.runId);
  const missing = missingMeasurements(result, benchProfile(result.profile, result.repetitions));
  if (missing.length > 0) {
    throw new FatalError(`benchmark result ${resultsPath} is incomplete: ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? `; … ${missing.length - 5} more` : ''}`, {
      hint: 'run the benchmark stage again (provision --only benchmark --reset benchmark)',
    });
  }
  const failures = gateFailures(result);
  if (failures.length > 0) {
    throw new FatalError(`benchmark gate: ${failures.length} penalt${failures.length === 1 ? 'y' : 'ies'} past benchmark.maxPenalty in ${resultsPath}:\n  ${gateLines(result, failures).join('\n  ')}`, {
      hint: 'the containers cost more than the inventory accepts at these points: find the cause (npx zx workflows/report.ts --host ' +
        `${result.host} --run ${result.runId}), then measure again (provision --only benchmark)`,
    });
  }
  return {
    runId: result.runId,
    resultsPath,
    profile: result.profile,
    penaltyThreshold: result.penaltyThreshold,
    flagged: flaggedPenalties(result),
    summary: renderPenaltySummary(result),
  };
}

export const benchmarkStage: Stage = {
  id: 'benchmark',
  title: 'Benchmark host vs containers (iperf3, fio)',
  inputs: benchmarkInputs,
  check,
  apply,
  verify,
};
