// Seeded random numbers for the benchmark statistics' simulations (test/unit/benchmark/), so that
// every run of a test sees the same simulated rounds.

/** mulberry32: a seeded uniform generator on [0, 1). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a uniform generator. */
export function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** A simulated point's truth: its ratio and its noise. */
export interface Sim {
  /** lxc / host: 0.8 is a 20 % IOPS penalty. */
  ratio: number;
  /** Log-scale sd of what moves a whole round (both sides). */
  drift: number;
  /** Log-scale sd of each measurement's own noise. */
  noise: number;
}
