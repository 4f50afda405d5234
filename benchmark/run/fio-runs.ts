// A mirrored round's two fio runs of one target (profiles.ts FioTiming.mirrored) taken as one
// sample: what fio would have reported for the two runs together. Pure.
import type { FioDirectionSample, FioSample } from '../results/results.ts';

/** Two runs of the same duration: rates averaged (the I/Os of both over their time), latency weighted by I/Os. */
function mergeDirection(a: FioDirectionSample, b: FioDirectionSample): FioDirectionSample {
  const ios = a.ios + b.ios;
  return {
    iops: (a.iops + b.iops) / 2,
    bwBytes: (a.bwBytes + b.bwBytes) / 2,
    latMeanNs: ios > 0 ? (a.latMeanNs * a.ios + b.latMeanNs * b.ios) / ios : 0,
    ios,
  };
}

export function mergeMirroredRuns(a: FioSample, b: FioSample): FioSample {
  return { read: mergeDirection(a.read, b.read), write: mergeDirection(a.write, b.write) };
}
