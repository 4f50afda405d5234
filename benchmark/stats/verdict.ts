// Whether a difference is beyond the noise. Within one run, host and container are paired by round
// (paired.ts): the estimate is the geometric mean of the per-round ratios, its interval a t interval
// on the mean log ratio. Across runs (report --compare), where nothing pairs the rounds, a Welch t
// interval on the difference of the mean logarithms, which does not assume that the sides vary
// alike. Both on logarithms: throughputs vary by a factor more than by an amount, and the ratio is
// what the threshold is about; the t intervals are exact for log-normal noise and honest about few
// rounds: their width grows fast as the degrees of freedom shrink.
import { penaltyPercent } from './penalty.ts';
import type { Metric } from '../results/results.ts';
import { studentTQuantile } from './student-t.ts';
import { pairedLogRatio } from './paired.ts';

/** The default confidence (two-sided) with which all of a run's intervals hold at once. */
export const CONFIDENCE = 0.95;

/**
 * The confidence of each of `comparisons` intervals so that all of them hold at once with
 * `confidence` (Bonferroni: 1 − (1 − confidence)/comparisons). Whatever the dependence between the
 * points (the same rounds, the same disk), the chance that any interval of the run misses its
 * true ratio is at most 1 − confidence; so is the chance of any false verdict, a false penalty
 * (or gate failure) included: the run's family-wise false-flag rate.
 */
export function familyConfidence(confidence: number, comparisons: number): number {
  return 1 - (1 - confidence) / Math.max(1, comparisons);
}

export const VERDICTS = ['penalty', 'minor', 'noise', 'better', 'n/a'] as const;
/**
 * penalty: the whole interval is beyond the threshold. minor: the whole interval is above 0 and at
 * most the threshold (a real but small cost). noise: the interval crosses 0 or the threshold.
 * better: the whole interval is below 0 (the container does better). n/a: nothing to compare (a
 * value of 0, or a side with fewer than 2 repetitions).
 */
export type VerdictName = (typeof VERDICTS)[number];

export interface RatioInterval {
  /** Geometric mean of `other` over that of `base`. */
  ratio: number;
  low: number;
  high: number;
  /** Welch–Satterthwaite degrees of freedom; null when neither side varies (the interval is the ratio). */
  df: number | null;
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

/**
 * exp(Σ sign·mean(log values)) over the groups, with its Welch interval (the Satterthwaite degrees
 * of freedom of a sum of independent means); undefined with fewer than 2 values or a value ≤ 0 in a
 * group. One group up and one down is a ratio; two of each is a ratio of ratios (report --compare).
 */
export function welchLogContrast(groups: readonly { values: readonly number[]; sign: 1 | -1 }[], confidence = CONFIDENCE): RatioInterval | undefined {
  if (groups.some((g) => g.values.length < 2 || g.values.some((v) => !(v > 0)))) return undefined;
  const parts = groups.map((g) => {
    const { mean, variance } = meanAndVariance(g.values.map(Math.log));
    return { mean: g.sign * mean, v: variance / g.values.length, dof: g.values.length - 1 };
  });
  const d = parts.reduce((a, p) => a + p.mean, 0);
  const v = parts.reduce((a, p) => a + p.v, 0);
  if (v === 0) return { ratio: Math.exp(d), low: Math.exp(d), high: Math.exp(d), df: null };
  const df = v ** 2 / parts.reduce((a, p) => a + p.v ** 2 / p.dof, 0);
  const half = studentTQuantile(1 - (1 - confidence) / 2, df) * Math.sqrt(v);
  return { ratio: Math.exp(d), low: Math.exp(d - half), high: Math.exp(d + half), df };
}

/** The ratio other/base with its Welch interval. */
export function welchLogRatio(base: readonly number[], other: readonly number[], confidence = CONFIDENCE): RatioInterval | undefined {
  return welchLogContrast([{ values: other, sign: 1 }, { values: base, sign: -1 }], confidence);
}

export interface Comparison {
  /** The container's penalty in percent (positive: worse), from the geometric means; null: n/a. */
  pct: number | null;
  /** The penalty's interval in percent, low ≤ high; null when there is none. */
  ci: { low: number; high: number } | null;
  verdict: VerdictName;
}

/** The penalty of a ratio lxc/host, signed as penaltyPercent signs it. */
function penaltyOfRatio(metric: Metric, ratio: number): number {
  return penaltyPercent(metric, 1, ratio)!;
}

export function verdictOf(ci: { low: number; high: number }, thresholdPct: number): VerdictName {
  if (ci.low > thresholdPct) return 'penalty';
  if (ci.high < 0) return 'better';
  if (ci.low > 0 && ci.high <= thresholdPct) return 'minor';
  return 'noise';
}

/** A ratio (lxc/host, or after/before) as a penalty with its interval and verdict. */
export function comparisonOfRatio(metric: Metric, r: RatioInterval | undefined, thresholdPct: number): Comparison {
  if (!r) return { pct: null, ci: null, verdict: 'n/a' };
  const ends = [penaltyOfRatio(metric, r.low), penaltyOfRatio(metric, r.high)];
  const ci = { low: Math.min(...ends), high: Math.max(...ends) };
  return { pct: penaltyOfRatio(metric, r.ratio), ci, verdict: verdictOf(ci, thresholdPct) };
}

/**
 * The container's rounds against the host's, paired by round (paired.ts): estimate, interval and
 * verdict. `firstRounds`: the rounds every point had before the adaptive ones (the spread's).
 */
export function compareSamples(metric: Metric, host: readonly number[], lxc: readonly number[], thresholdPct: number, confidence = CONFIDENCE, firstRounds?: number): Comparison {
  return comparisonOfRatio(metric, pairedLogRatio(host, lxc, confidence, firstRounds), thresholdPct);
}
