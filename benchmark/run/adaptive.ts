// The adaptive schedule of a benchmark, Stein's two-stage procedure: every point gets its minimum
// rounds first (a point's rounds back to back, as the paper ran them; a point may have a minimum of
// its own, the profile's fio points a larger one); a point whose interval is
// wider than the precision then gets the total number of rounds that interval calls for (a
// half-width shrinks as 1/√rounds: n·(half-width/precision)², with a 10 % margin), decided once,
// from those first rounds only. Looking again after each round and stopping at the first narrow
// interval would favour rounds that happen to agree: such intervals cover the true ratio less often
// than they claim (test/unit/benchmark/paired.test.ts measures it). The interval then takes its spread
// from the first rounds (stats/paired.ts), and covers as claimed whatever the number of rounds.
// The extra rounds are taken one per point per pass, while the time budget allows another round of
// that point (its rounds so far tell how long one takes), up to the cap. What a round measures is
// the caller's.

export interface AdaptivePoint {
  /** Names the point in the outcome ("fio seqwrite-bs bs=4096"). */
  id: string;
  /** Measures round `round` (1-based) on every target. */
  round(round: number): Promise<void>;
  /** The widest half-width (percentage points) of the point's intervals, their spread from the minimum rounds; Infinity while there is none (paired.ts). */
  halfWidth(): number;
  /** The point's minimum rounds (its first stage) when not the run's `minRounds`. */
  minRounds?: number;
}

export interface AdaptiveOptions {
  /** Percentage points. */
  precision: number;
  minRounds: number;
  maxRounds: number;
  budgetMs: number;
  /** The clock (ms); injected for tests. */
  now(): number;
  signal?: AbortSignal;
}

export interface AdaptiveOutcome {
  spentMs: number;
  /** Points still wider than the precision when the schedule stopped. */
  imprecise: string[];
  /** Some point was left imprecise because its next round did not fit in the budget (not the cap). */
  budgetExhausted: boolean;
  /** Rounds per point id. */
  rounds: Record<string, number>;
}

export async function measureAdaptively(points: readonly AdaptivePoint[], options: AdaptiveOptions): Promise<AdaptiveOutcome> {
  const start = options.now();
  const rounds: Record<string, number> = {};
  const spent: Record<string, number> = {};
  const roundOf = async (p: AdaptivePoint): Promise<void> => {
    options.signal?.throwIfAborted();
    const r = (rounds[p.id] ?? 0) + 1;
    const t0 = options.now();
    await p.round(r);
    rounds[p.id] = r;
    spent[p.id] = (spent[p.id] ?? 0) + options.now() - t0;
  };
  const minRoundsOf = (p: AdaptivePoint): number => p.minRounds ?? options.minRounds;
  for (const p of points) {
    for (let r = 1; r <= minRoundsOf(p); r++) await roundOf(p);
  }
  const wide = (p: AdaptivePoint): boolean => !(p.halfWidth() <= options.precision);
  const target: Record<string, number> = {};
  for (const p of points) {
    const half = p.halfWidth();
    const first = minRoundsOf(p);
    const wanted = Number.isFinite(half) ? Math.ceil(first * (half / (0.9 * options.precision)) ** 2) : options.maxRounds;
    target[p.id] = Math.min(options.maxRounds, Math.max(first, wanted));
  }
  let budgetExhausted = false;
  for (;;) {
    const open = points.filter((p) => rounds[p.id]! < target[p.id]!);
    if (open.length === 0) break;
    let progressed = false;
    for (const p of open) {
      const perRound = spent[p.id]! / rounds[p.id]!;
      if (options.now() + perRound > start + options.budgetMs) {
        budgetExhausted = true;
        continue;
      }
      await roundOf(p);
      progressed = true;
    }
    if (!progressed) break;
  }
  const imprecise = points.filter(wide).map((p) => p.id);
  return { spentMs: options.now() - start, imprecise, budgetExhausted: budgetExhausted && imprecise.length > 0, rounds };
}
