// The benchmark profiles: `standard` (the default: three of the paper's tests at one point each,
// aiming at ±5 points in 10 minutes), what the paper ran (section 4, hours), and a
// quick variant that finishes in seconds for the demo and the tests. The paper names its seven fio
// tests and its iperf3 options but not every fio parameter; where it is silent the choice is ours
// and the comment says so.
import type { BenchProfileName } from '../../inventory/schema.ts';

export type { BenchProfileName };

/** The fio parameter a test varies; its points are the values of that parameter. */
export type FioVary = 'iodepth' | 'bs' | 'numjobs';

/** fio's --rw values used by the paper's tests. */
export type FioRw = 'write' | 'randread' | 'randwrite' | 'randrw';

export interface FioTest {
  /** Stable id, used in results, report anchors and CSV. */
  id: string;
  /** The paper's wording. */
  title: string;
  vary: FioVary;
  /** The varied parameter's values (bs in bytes). */
  values: number[];
  rw: FioRw;
  /** Block size in bytes, when not varied. */
  bs: number;
  iodepth: number;
  numjobs: number;
}

export interface Iperf3Profile {
  /** -O: seconds at the start not counted (TCP slow start). */
  omit: number;
  /** -t: seconds measured. */
  time: number;
}

export interface FioTiming {
  /** --runtime in milliseconds (time_based). */
  runtimeMs: number;
  /** --ramp_time in milliseconds, not counted. */
  rampMs: number;
  /** --size of the one test file that every test shares, in bytes. */
  sizeBytes: number;
  /**
   * Each round runs fio twice on every target, in the round's order and then back (host, c1, c2,
   * c2, c1, host), and takes each target's two runs together: a drift linear in time over the
   * round (a disk's write cache filling, writeback) then moves every target's mean alike and
   * cancels in the ratio, where one run each leaves the first and the last target apart by the
   * whole round.
   */
  mirrored: boolean;
}

export interface BenchProfile {
  name: BenchProfileName;
  /** The rounds every point gets at least (benchmark.repetitions overrides); the report shows medians, spread and intervals. */
  repetitions: number;
  /**
   * The rounds every fio point gets at least, `repetitions` or more (benchmark.repetitions
   * overrides both): the first stage of Stein's procedure, whose degrees of freedom the point's
   * interval keeps (run/adaptive.ts). Where fio's points take most of the budget anyway, a larger
   * first stage costs no time and narrows their intervals.
   */
  fioRepetitions: number;
  /** Percentage points: points are measured again until their intervals' half-widths are at most this (benchmark.precision overrides)... */
  precision: number;
  /** ...or until this many seconds of measuring are spent (the minimum rounds are always taken). */
  budgetSeconds: number;
  iperf3: Iperf3Profile;
  fio: FioTiming;
  fioTests: FioTest[];
}

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** The block sizes of the paper's Table 1 and 2 (512 B to 64 kB). */
const PAPER_BLOCK_SIZES = [512, KIB, 2 * KIB, 4 * KIB, 8 * KIB, 16 * KIB, 32 * KIB, 64 * KIB];
const PAPER_QUEUE_DEPTHS = [1, 2, 4, 8, 16, 32, 64, 128];
/** Up to the 512 threads of Table 1. */
const PAPER_THREADS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

interface TestShape {
  id: string;
  title: string;
  vary: FioVary;
  rw: FioRw;
  bs: number;
  iodepth: number;
  numjobs: number;
}

/** The seven tests of section 4 "Solid-state drives", in the paper's order. */
const SHAPES: TestShape[] = [
  { id: 'seqwrite-512-qd', title: 'Single-threaded 512 B sequential write by queue depth', vary: 'iodepth', rw: 'write', bs: 512, iodepth: 1, numjobs: 1 },
  // Table 2.
  { id: 'seqwrite-bs', title: 'Single-threaded sequential write by block size (queue depth 1)', vary: 'bs', rw: 'write', bs: 4 * KIB, iodepth: 1, numjobs: 1 },
  { id: 'randread-4k-threads', title: 'Sustained 4 kB random read by threads', vary: 'numjobs', rw: 'randread', bs: 4 * KIB, iodepth: 1, numjobs: 1 },
  // Table 1: 512 threads, queue depth 1.
  { id: 'randread-bs', title: 'Sustained multi-threaded random read by block size (queue depth 1)', vary: 'bs', rw: 'randread', bs: 4 * KIB, iodepth: 1, numjobs: 512 },
  // The paper does not give the read/write mix: fio's default, 50 % reads.
  { id: 'randrw-4k-threads', title: 'Sustained 4 kB random mixed access by threads', vary: 'numjobs', rw: 'randrw', bs: 4 * KIB, iodepth: 1, numjobs: 1 },
  { id: 'randwrite-4k-threads', title: 'Sustained 4 kB random write by threads', vary: 'numjobs', rw: 'randwrite', bs: 4 * KIB, iodepth: 1, numjobs: 1 },
  // The paper does not give this test's block size: 64 kB, the largest of its tables.
  { id: 'randwrite-threads', title: 'Sustained 64 kB random write by threads', vary: 'numjobs', rw: 'randwrite', bs: 64 * KIB, iodepth: 1, numjobs: 1 },
];

/** The tests of `ids` (all seven when not given), in the paper's order, at the points `values` of what each varies. */
function tests(values: Record<FioVary, number[]>, overrides: Partial<Record<string, Partial<TestShape>>> = {}, ids?: readonly string[]): FioTest[] {
  return SHAPES.filter((shape) => ids === undefined || ids.includes(shape.id)).map((shape) => {
    const test = { ...shape, ...overrides[shape.id] };
    return { ...test, values: values[test.vary] };
  });
}

export const PAPER_PROFILE: BenchProfile = {
  name: 'paper',
  // "We ran the test four times".
  repetitions: 4,
  fioRepetitions: 4,
  // The paper's effect sizes are a few percent; its 66 fio points take about an hour per round with two containers.
  precision: 5,
  budgetSeconds: 8 * 3600,
  iperf3: { omit: 3, time: 20 },
  // The paper gives no fio durations or sizes: iperf3's 20 s with its 3 s warm-up, and iozone's 4 GiB file.
  fio: { runtimeMs: 20_000, rampMs: 3_000, sizeBytes: 4 * GIB, mirrored: false },
  fioTests: tests({ iodepth: PAPER_QUEUE_DEPTHS, bs: PAPER_BLOCK_SIZES, numjobs: PAPER_THREADS }),
};

export const QUICK_PROFILE: BenchProfile = {
  name: 'quick',
  // Three rounds: with two the paired interval has one degree of freedom (t = 12.7) and can see nothing.
  repetitions: 3,
  fioRepetitions: 3,
  precision: 10,
  budgetSeconds: 60,
  iperf3: { omit: 0, time: 1 },
  fio: { runtimeMs: 500, rampMs: 0, sizeBytes: 16 * MIB, mirrored: false },
  fioTests: tests(
    { iodepth: [1, 8], bs: [4 * KIB, 32 * KIB, 64 * KIB], numjobs: [1, 4] },
    { 'randread-bs': { numjobs: 4 } },
  ),
};

/**
 * The default: iperf3 both ways and three of the paper's fio tests at one point each, the ones
 * whose per-round spread on a virtual disk was smallest (README "The standard profile"): Table 1's
 * 32 kB random reads (16 threads), 512 B sequential writes at queue depth 1 and 4 kB random writes
 * at 4 threads. Queue depth 1, not 8: on a virtual disk a 500 ms run at depth 8 varied far more
 * than its length explains (a lab node, host against c1 in mirrored rounds, 2026-12-07: IOPS
 * 43k-115k run to run, per-round spread 0.31; in 2 s runs 0.073, a quarter for four times the
 * time; at depth 1 0.025), and a container's cost per I/O, if any, shows most where no other I/O
 * hides it. The other four (Table 2's 32 kB sequential write at queue depth 1, the noisiest,
 * random reads by threads, mixed access, 64 kB random writes) are in `paper` and `quick`. Each
 * round runs every fio point twice per target for 500 ms, in the round's order and back
 * (mirrored): on a lab node, the node against its two containers without iperf3 in 300 s, the
 * per-round spread of the IOPS log ratios was 0.049-0.074 (median 0.059) mirrored against
 * 0.063-0.130 (median 0.097) with one 1 s run each, for 20 rounds against 25 (README "The
 * standard profile"). No warm-up: pairing cancels a start-up cost common to both sides, and without
 * --ramp_time a point's bandwidth is its IOPS times the block size (one comparison with them:
 * stats/analysis.ts bandwidthIsIops), so the family is 2 + 3 × 2 comparisons per container.
 * 10 minimum rounds for iperf3, 20 for fio: fewer cost more in the family's t than they save in
 * time (at 16 comparisons, t = 5.33 at 6 rounds, 4.00 at 10, 3.52 at 16, 3.38 at 20); the fio points
 * took about 30 rounds of the 600 s on a quiet lab node anyway with depth 8's writes (at depth 1 most
 * are within ±5 after their 20), so a first stage of 20 costs them no time and gives their
 * intervals 19 degrees of freedom, where the iperf3 points (per-round spread 0.001 on the lab's
 * link, ±0.1 in 10 rounds) would only spend the fio points' time. iperf3 -t 1 after a 1 s warm-up
 * (-O 1): a second of a steady TCP stream per measurement; the adaptive rounds answer for a
 * noisier link. Simulated as the runner schedules it (test/unit/benchmark/family.test.ts,
 * at the lab's quiet spreads 0.064-0.079): the widest fio interval ±4.9 (median of runs), where 10
 * minimum rounds for every point and -t 2 gave ±7.3 (measured: ±4.4 against ±6.8, README "First
 * stages by kind").
 */
export const STANDARD_PROFILE: BenchProfile = {
  name: 'standard',
  repetitions: 10,
  fioRepetitions: 20,
  precision: 5,
  budgetSeconds: 600,
  iperf3: { omit: 1, time: 1 },
  fio: { runtimeMs: 500, rampMs: 0, sizeBytes: 128 * MIB, mirrored: true },
  fioTests: tests(
    { iodepth: [1], bs: [32 * KIB], numjobs: [4] },
    // Table 1 ran 512 threads; 16 start quickly on a small node.
    { 'randread-bs': { numjobs: 16 } },
    ['seqwrite-512-qd', 'randread-bs', 'randwrite-4k-threads'],
  ),
};

const PROFILES: Record<BenchProfileName, BenchProfile> = { standard: STANDARD_PROFILE, paper: PAPER_PROFILE, quick: QUICK_PROFILE };

/** The named profile, with the inventory's repetitions when it sets them. */
export function benchProfile(name: BenchProfileName, repetitions?: number): BenchProfile {
  const profile = PROFILES[name];
  return repetitions === undefined ? profile : { ...profile, repetitions, fioRepetitions: repetitions };
}

/**
 * What a profile fixes about how it measures, in words: a result measured under another definition
 * of the same profile name (an older sriov-lxc's) is not a measurement of this one
 * (results/identity.ts).
 */
export function profileProcedure(profile: BenchProfile): string {
  const { runtimeMs, rampMs, sizeBytes, mirrored } = profile.fio;
  const points = profile.fioTests.map((t) => `${t.id} ${t.vary}=${t.values.join(',')}`).join('; ');
  return `fio ${runtimeMs} ms runs${mirrored ? ', twice per round (mirrored)' : ''}, ramp ${rampMs} ms, ${sizeBytes} B file, at least ${profile.fioRepetitions} rounds: ${points}; ` +
    `iperf3 -O ${profile.iperf3.omit} -t ${profile.iperf3.time}, at least ${profile.repetitions} rounds`;
}

/** The fio parameters of one point of a test: the test's own, with the varied one set to `value`. */
export function fioPointParams(test: FioTest, value: number): { bs: number; iodepth: number; numjobs: number } {
  return { bs: test.bs, iodepth: test.iodepth, numjobs: test.numjobs, [test.vary]: value };
}

/** A rough duration of one run of the profile on `targets` targets (host + containers), in seconds. */
export function estimatedSeconds(profile: BenchProfile, targets: number, withIperf3: boolean): number {
  const points = profile.fioTests.reduce((n, t) => n + t.values.length, 0);
  const fio = points * (profile.fio.mirrored ? 2 : 1) * (profile.fio.runtimeMs + profile.fio.rampMs) / 1000;
  const iperf3 = withIperf3 ? 2 * (profile.iperf3.omit + profile.iperf3.time) : 0;
  return Math.ceil(targets * (profile.fioRepetitions * fio + profile.repetitions * iperf3));
}

/**
 * The comparisons a run of the profile makes (stats/analysis.ts comparisonCount once measured):
 * per container, each iperf3 direction and each fio point's IOPS, bandwidth and latency; without a
 * warm-up a point's bandwidth is its IOPS times the block size, the same per-round ratio
 * (bandwidthIsIops), and counts once with them. With --ramp_time it is not: fio zeroes its counters
 * at the ramp's end with I/Os in flight, which complete into io_bytes but were issued before
 * total_ios counted (captured: 512.25 bytes per 512-byte I/O, test/fixtures/bench/README.md).
 * Its verdicts answer for them together (stats/verdict.ts familyConfidence).
 */
export function plannedComparisons(profile: BenchProfile, containers: number, withIperf3: boolean): number {
  const points = profile.fioTests.reduce((n, t) => n + t.values.length, 0);
  return containers * ((withIperf3 ? 2 : 0) + points * (profile.fio.rampMs > 0 ? 3 : 2));
}
