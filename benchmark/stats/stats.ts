// Summary statistics over the repetitions of one measurement.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: how far apart the repetitions are, as a fraction of the median (0 when the median is 0). */
  spread: number;
  /** Median absolute deviation from the median. */
  mad: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return {
    n: values.length,
    median: m,
    min,
    max,
    spread: m === 0 ? 0 : (max - min) / m,
    mad: median(values.map((v) => Math.abs(v - m))),
  };
}
