// Command line of bench/run.ts (`npm run bench -- ...`): parsing and --help. Pure.
import { parseArgs } from 'node:util';

export interface BenchArgs {
  help: boolean;
  /** Lab sizes for the fleet scale; the no-op converge runs at each, reboot detection at the smallest. */
  scales: number[];
  noopReps: number;
  rebootReps: number;
  /** Runs of the pipeline without the benchmark stage per size, each on a fresh lab. */
  fleetReps: number;
  /** Results JSON; default bench/results/<date>.json. */
  out?: string;
  /** Where the labs and state dirs live while the benchmark runs; removed afterwards. */
  workDir?: string;
  /** Which parts run (default all three). */
  parts: BenchPart[];
}

export const BENCH_PARTS = ['noop', 'reboot', 'fleet'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export const BENCH_HELP = `Usage: npm run bench -- [options]

Benchmarks sriov-lxc on lab nodes (needs root) against Ansible (Debian's package; installed when
missing) and prints Markdown tables; writes the results as JSON.
  1. no-op converge: a second run over fully provisioned nodes, sriov-lxc vs an Ansible playbook
     doing the same checks (bench/ansible/noop-converge.yml), forks = --concurrency = nodes
  2. reboot detection: from a node's sshd being ready again to the tool going on, sriov-lxc's
     reboot protocol vs Ansible's reboot module (defaults, and tuned)
  3. fleet scale: the full pipeline (quick benchmark profile) and the pipeline without the benchmark
     stage on each lab size at once: wall time, controller peak RSS and CPU seconds

Options
  --scales N,N,...     lab sizes, 1 to 32 (default 1,8,32; the first is the baseline)
  --noop-reps N        no-op runs of each tool per size (default 3)
  --reboot-reps N      reboots per tool and variant (default 5)
  --fleet-reps N       runs of the pipeline without the benchmark stage per size, each on a fresh
                       lab, every size in turn per repetition (default 3): the controller's CPU
                       per added node is judged on the medians, reboot detection on every run's
                       nodes
  --out FILE           results JSON (default bench/results/<date>.json)
  --work-dir DIR       labs and state while running (default a new directory under /tmp)
  --parts P,P,...      which of noop, reboot, fleet to run (default all; noop and reboot share
                       the provisioned lab, fleet brings up one more lab per size)
  --help               this text
`;

function count(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new Error(`${flag} ${JSON.stringify(value)}: expected a whole number from 1 to ${max}`);
  return Number(value);
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values: v } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      scales: { type: 'string' },
      'noop-reps': { type: 'string' },
      'reboot-reps': { type: 'string' },
      'fleet-reps': { type: 'string' },
      out: { type: 'string' },
      'work-dir': { type: 'string' },
      parts: { type: 'string' },
    },
  });
  const scales = (v.scales ?? '1,8,32').split(',').map((x) => count('--scales', x.trim(), 0, 32));
  if (new Set(scales).size !== scales.length) throw new Error(`--scales ${v.scales}: each size once`);
  const parts = (v.parts ?? BENCH_PARTS.join(',')).split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !(BENCH_PARTS as readonly string[]).includes(p));
  if (unknown.length > 0 || parts.length === 0) throw new Error(`--parts ${v.parts}: expected some of ${BENCH_PARTS.join(', ')}`);
  return {
    parts: BENCH_PARTS.filter((p) => parts.includes(p)),
    help: v.help ?? false,
    scales: [...scales].sort((a, b) => a - b),
    noopReps: count('--noop-reps', v['noop-reps'], 3, 50),
    rebootReps: count('--reboot-reps', v['reboot-reps'], 5, 50),
    fleetReps: count('--fleet-reps', v['fleet-reps'], 3, 10),
    ...(v.out ? { out: v.out } : {}),
    ...(v['work-dir'] ? { workDir: v['work-dir'] } : {}),
  };
}
