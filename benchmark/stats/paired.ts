// Paired rounds: at every point the host and each container are measured in the same round, one
// after the other (in an order drawn at random per round), so what drifts between rounds (a busy disk, a neighbour's
// load, the page cache) moves both sides of a round alike. The ratio is taken within each round
// and the interval is a t interval on the mean of the log ratios: the round-to-round drift cancels
// instead of widening the interval, as it does when the two sides' repetitions are compared as
// independent samples (Welch). The adaptive schedule (run/adaptive.ts) plans more rounds for a
// point whose first rounds' interval is more than `precision` percentage points wide on either
// side of the estimate (its half-width), within the time budget.
import { studentTQuantile } from './student-t.ts';
import type { Comparison, RatioInterval } from './verdict.ts';

/**
 * exp(mean(log other[i] - log base[i])) over the rounds both sides have, with its interval;
 * undefined with fewer than 2 rounds or a value ≤ 0. The spread comes from the first
 * `firstRounds` rounds (all when not given) and its t quantile has their degrees of freedom: the
 * interval of Stein's two-stage procedure, which covers the ratio as claimed when the number of
 * rounds was chosen from those first rounds (run/adaptive.ts); with every round in the first
 * stage it is the usual paired t interval.
 */
export function pairedLogRatio(base: readonly number[], other: readonly number[], confidence: number, firstRounds?: number): RatioInterval | undefined {
  const n = Math.min(base.length, other.length);
  const first = Math.min(n, firstRounds ?? n);
  if (first < 2) return undefined;
  const d: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(base[i]! > 0 && other[i]! > 0)) return undefined;
    d.push(Math.log(other[i]!) - Math.log(base[i]!));
  }
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const stage = d.slice(0, first);
  const stageMean = stage.reduce((a, b) => a + b, 0) / first;
  const variance = stage.reduce((a, v) => a + (v - stageMean) ** 2, 0) / (first - 1);
  if (variance === 0) return { ratio: Math.exp(mean), low: Math.exp(mean), high: Math.exp(mean), df: null };
  const half = studentTQuantile(1 - (1 - confidence) / 2, first - 1) * Math.sqrt(variance / n);
  return { ratio: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half), df: first - 1 };
}

/** Half the interval's width in percentage points: the smallest penalty the run could have told from none. Infinity without an interval. */
export function halfWidth(c: Pick<Comparison, 'ci'>): number {
  return c.ci ? (c.ci.high - c.ci.low) / 2 : Infinity;
}

/** The widest half-width of a point's intervals (any container, any metric); Infinity without any. */
export function widestHalfWidth(comparisons: readonly Pick<Comparison, 'ci'>[]): number {
  return comparisons.length === 0 ? Infinity : Math.max(...comparisons.map(halfWidth));
}
