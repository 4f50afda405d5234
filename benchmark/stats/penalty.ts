// The container's penalty against the host, in percent, signed so that positive is always worse:
// fewer IOPS, less bandwidth or throughput, or more latency inside the container.
import type { Metric } from '../results/results.ts';

/** Whether a larger value of the metric is better (throughput) or worse (latency). */
export function higherIsBetter(metric: Metric): boolean {
  return metric !== 'latency';
}

/**
 * The paper's figures: "47.90 % less IOPS" is (host - lxc) / host; "91.94 % higher latency" is
 * (lxc - host) / host. null when the host's value is 0 (no baseline to compare with).
 */
export function penaltyPercent(metric: Metric, host: number, lxc: number): number | null {
  if (host === 0) return null;
  const worse = higherIsBetter(metric) ? host - lxc : lxc - host;
  return (worse / host) * 100;
}
