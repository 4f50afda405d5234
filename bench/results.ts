// The benchmark's results document (bench/results/<date>.json), its targets, and the Markdown
// tables printed at the end and pasted into the README. Pure.

export const BENCH_FORMAT = 'sriov-lxc.bench';
export const BENCH_VERSION = 1;

export interface Spread {
  medianMs: number;
  minMs: number;
  maxMs: number;
  samples: number[];
}

export interface NoopResult {
  nodes: number;
  /** --concurrency of ours, forks of Ansible. */
  parallel: number;
  ours: Spread;
  ansible: Spread;
  /** Median SSH round trips (commands) per host, ours. */
  oursRoundTripsPerHost: number;
  /** Remote module executions per host, Ansible (its tasks, loops expanded). */
  ansibleModulesPerHost: number;
  /** The same no-op of sriov-lxc run through the Ansible collection (ansible-playbook, forks = nodes): one CLI per host. */
  collection?: Spread;
  /**
   * Median CPU seconds of a no-op: sriov-lxc's controller (its Node processes), the nodes while
   * sriov-lxc ran, the nodes while Ansible ran (the nodes' cgroups: sshd, the commands, containers).
   */
  cpuS?: { ours: number; oursNodes: number; ansibleNodes: number };
}

export interface RebootResult {
  node: string;
  ours: Spread;
  ansibleDefault: Spread;
  ansibleTuned: Spread;
  /** The module parameters of the tuned run. */
  tunedParams: Record<string, number>;
  /** From the reboot request to the tool going on, medians. */
  totalMedianMs: { ours: number; ansibleDefault: number; ansibleTuned: number };
}

export interface PipelineRun {
  wallMs: number;
  peakRssMb: number;
  cpuS: number;
  hostsOk: number;
  /** host: stage and message, for hosts that did not finish. */
  failures: Record<string, string>;
  /** From each node's sshd being ready after the pipeline's reboot to the engine going on. */
  detection?: Spread;
}

export interface FleetResult {
  nodes: number;
  full: PipelineRun;
  /** The run of withoutBenchmarkRuns with the median CPU (the only run in results before 2026-12-07). */
  withoutBenchmark: PipelineRun;
  /** Every run without the benchmark stage at this size (--fleet-reps), each on a fresh lab, in order. */
  withoutBenchmarkRuns?: PipelineRun[];
}

/** The runs without the benchmark stage of a size: all of them, or the one older results have. */
export function fleetRuns(f: FleetResult): PipelineRun[] {
  return f.withoutBenchmarkRuns ?? [f.withoutBenchmark];
}

/** The run with the median CPU (the lower middle one of an even count): the size's representative. */
export function medianRun(runs: readonly PipelineRun[]): PipelineRun {
  if (runs.length === 0) throw new Error('no runs');
  return [...runs].sort((a, b) => a.cpuS - b.cpuS)[Math.floor((runs.length - 1) / 2)]!;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface BenchResults {
  format: typeof BENCH_FORMAT;
  version: typeof BENCH_VERSION;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; memoryGb: number; kernel: string; node: string; ansible: string; loadAvgAtStart: number[]; /** ssh2's binding loaded (absent in results before 2026-12-06 13:00) */ sshNativeCrypto?: boolean };
  settings: { parts?: string[]; scales: number[]; noopReps: number; rebootReps: number; /** absent before 2026-12-07: one run */ fleetReps?: number; bootDelayMs: number; flavour: string };
  noop: NoopResult[];
  reboot?: RebootResult;
  fleet: FleetResult[];
  targets: Target[];
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: Math.round(medianOf(sorted)), minMs: Math.round(sorted[0]!), maxMs: Math.round(sorted.at(-1)!), samples: samples.map(Math.round) };
}

/** The middle value, or the mean of the two middle ones. */
function medianOf(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The reboot detection of every run's nodes together; undefined when no run rebooted a node. */
function pooledDetection(runs: readonly PipelineRun[]): Spread | undefined {
  const samples = runs.flatMap((run) => run.detection?.samples ?? []);
  return samples.length > 0 ? spread(samples) : undefined;
}

/** The median of CPU seconds, to 0.01 s. */
export function medianCpuS(samples: readonly number[]): number {
  return Math.round(spread(samples.map((x) => x * 1000)).medianMs / 10) / 100;
}

const s = (ms: number, digits = 1): string => `${(ms / 1000).toFixed(digits)} s`;
const range = (x: Spread, digits = 1): string => `${s(x.medianMs, digits)} (${s(x.minMs, digits)}–${s(x.maxMs, digits)})`;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/**
 * The targets, judged on the results: issue 26's (no-op converge at 8 nodes at most 0.10 of
 * Ansible's time and 30 SSH round trips per host; reboot detection at most 0.5 s after sshd is back
 * with 8 nodes provisioning; the controller at most 0.2 CPU-s and 5 MB per added node without the
 * benchmark stage) and the earlier ones they do not replace (3x wall time, 200 MB). Where the run
 * had no 8-node size, the largest one stands in and the target's name says which. Each figure is
 * judged as it is printed (0.2000001 CPU-s is "0.20", at the goal).
 */
export function judge(r: Omit<BenchResults, 'targets'>): Target[] {
  const targets: Target[] = [];
  const atScale = <T extends { nodes: number }>(xs: readonly T[]): T | undefined => xs.find((x) => x.nodes === 8) ?? xs.reduce<T | undefined>((m, x) => (m === undefined || x.nodes > m.nodes ? x : m), undefined);
  const noop = atScale(r.noop);
  if (noop) {
    const ratio = noop.ours.medianMs / noop.ansible.medianMs;
    targets.push({ name: `no-op converge, ${noop.nodes} node(s)`, goal: 'at most 0.10 of Ansible', measured: `${ratio.toFixed(2)} of Ansible`, met: Number(ratio.toFixed(2)) <= 0.1 });
    targets.push({ name: `SSH round trips per host, no-op, ${noop.nodes} node(s)`, goal: 'at most 30', measured: String(noop.oursRoundTripsPerHost), met: noop.oursRoundTripsPerHost <= 30 });
  }
  const one = r.fleet.find((f) => f.nodes === 1);
  const most = atScale(r.fleet.filter((f) => f.nodes > 1));
  // Every run's nodes: the goal holds in each run, not in a median one.
  const runs = most ? fleetRuns(most) : [];
  const pooled = pooledDetection(runs);
  const detection = pooled ?? most?.full.detection;
  if (most && detection) {
    const of = runs.length > 1 && pooled ? ` (${runs.length} runs)` : '';
    targets.push({ name: `reboot detection, ${most.nodes} nodes provisioning${of}`, goal: 'at most 0.5 s after sshd is ready', measured: `median ${s(detection.medianMs, 2)}, max ${s(detection.maxMs, 2)}`, met: detection.maxMs <= 500 });
  } else if (r.reboot) {
    const max = r.reboot.ours.maxMs;
    targets.push({ name: 'reboot detection, 1 node', goal: 'at most 0.5 s after sshd is ready', measured: `median ${s(r.reboot.ours.medianMs, 2)}, max ${s(max, 2)}`, met: max <= 500 });
  }
  if (one && most) {
    const added = most.nodes - 1;
    // Medians of each size's runs: one run's CPU varied by 0.03-0.05 CPU-s per added node.
    const median = (f: FleetResult, pick: (run: PipelineRun) => number): number => medianOf(fleetRuns(f).map(pick));
    const cpu = (median(most, (x) => x.cpuS) - median(one, (x) => x.cpuS)) / added;
    const rss = (median(most, (x) => x.peakRssMb) - median(one, (x) => x.peakRssMb)) / added;
    const reps = Math.min(fleetRuns(most).length, fleetRuns(one).length);
    const medians = reps > 1 ? `, medians of ${reps} runs` : '';
    targets.push({ name: `controller CPU per added node, ${most.nodes} vs 1, without the benchmark stage${medians}`, goal: 'at most 0.2 CPU-s', measured: `${cpu.toFixed(2)} CPU-s`, met: Number(cpu.toFixed(2)) <= 0.2 });
    targets.push({ name: `controller memory per added node, ${most.nodes} vs 1, without the benchmark stage${medians}`, goal: 'at most 5 MB', measured: `${rss.toFixed(1)} MB`, met: Number(rss.toFixed(1)) <= 5 });
    for (const [label, pick] of [['full pipeline', (f: FleetResult) => f.full], ['without the benchmark stage', (f: FleetResult) => f.withoutBenchmark]] as const) {
      const x = pick(most).wallMs / pick(one).wallMs;
      targets.push({ name: `${most.nodes} nodes vs 1, ${label}`, goal: 'at most 3x the wall time', measured: `${x.toFixed(1)}x`, met: x <= 3 });
    }
    const peak = Math.max(most.full.peakRssMb, most.withoutBenchmark.peakRssMb);
    targets.push({ name: `controller peak RSS, ${most.nodes} nodes`, goal: 'under 200 MB', measured: `${Math.round(peak)} MB`, met: peak < 200 });
  }
  return targets;
}

function cpuColumn(runs: readonly PipelineRun[]): string {
  const cpu = runs.map((x) => x.cpuS).sort((a, b) => a - b);
  const median = medianOf(cpu);
  // Hundredths: the goal per added node is 0.2 CPU-s.
  return runs.length > 1 ? `${median.toFixed(2)} s (${cpu[0]!.toFixed(2)}–${cpu.at(-1)!.toFixed(2)})` : `${median.toFixed(2)} s`;
}

function detectionColumn(runs: readonly PipelineRun[]): string {
  const all = pooledDetection(runs);
  if (!all) return '-';
  return `${s(all.medianMs, 2)}, ${s(all.maxMs, 2)}`;
}

export function renderTables(r: BenchResults): string {
  const out: string[] = [];
  out.push(`Machine: ${r.machine.cpus} CPUs, ${r.machine.memoryGb} GB, kernel ${r.machine.kernel}, Node ${r.machine.node}${r.machine.sshNativeCrypto === undefined ? '' : r.machine.sshNativeCrypto ? ' (ssh2 ciphers native)' : ' (ssh2 ciphers in JavaScript: its binding did not load)'}, ${r.machine.ansible}; load average at start ${r.machine.loadAvgAtStart.map((l) => l.toFixed(1)).join(' ')}. Lab: ${r.settings.flavour} nodes, ${r.settings.bootDelayMs} ms boot delay.`);
  if (r.noop.length > 0) {
    out.push('', `**No-op converge** (a second run over fully provisioned nodes; median (min–max) of ${r.settings.noopReps}; fresh SSH connections each run)`, '');
    out.push(
      table(
        ['nodes', 'parallel', 'sriov-lxc', 'Ansible', 'ratio', 'SSH round trips per host (ours)', 'module runs per host (Ansible)'],
        r.noop.map((n) => [String(n.nodes), String(n.parallel), range(n.ours), range(n.ansible), (n.ours.medianMs / n.ansible.medianMs).toFixed(2), String(n.oursRoundTripsPerHost), String(n.ansibleModulesPerHost)]),
      ),
    );
  }
  const withCpu = r.noop.filter((n) => n.cpuS !== undefined);
  if (withCpu.length > 0) {
    out.push('', `**CPU of a no-op** (median of ${r.settings.noopReps}; on a machine whose CPUs the nodes share with the controller, the wall time follows the sum)`, '');
    out.push(
      table(
        ['nodes', 'sriov-lxc controller', 'nodes, sriov-lxc', 'nodes, Ansible'],
        withCpu.map((n) => [String(n.nodes), `${n.cpuS!.ours.toFixed(2)} s`, `${n.cpuS!.oursNodes.toFixed(2)} s`, `${n.cpuS!.ansibleNodes.toFixed(2)} s`]),
      ),
    );
  }
  const viaCollection = r.noop.filter((n) => n.collection !== undefined);
  if (viaCollection.length > 0) {
    out.push('', `**Through the Ansible collection** (the same no-op: \`provision --hosts\` of every node at once vs the collection's provision task under ansible-playbook with forks = nodes, one sriov-lxc per host; median (min–max) of ${r.settings.noopReps})`, '');
    out.push(
      table(
        ['nodes', 'provision --hosts', 'via the collection', 'overhead', 'overhead per node'],
        viaCollection.map((n) => {
          const extra = n.collection!.medianMs - n.ours.medianMs;
          return [String(n.nodes), range(n.ours), range(n.collection!), s(extra), s(extra / n.nodes)];
        }),
      ),
    );
  }
  if (r.reboot) {
    const b = r.reboot;
    const tuned = Object.entries(b.tunedParams).map(([k, v]) => `${k.replace(/^sriov_/, '')}=${v}`).join(', ');
    out.push('', `**Reboot detection** on ${b.node} (from its sshd being ready again to the tool going on; median (min–max) of ${r.settings.rebootReps})`, '');
    out.push(
      table(
        ['tool', 'detection', 'reboot request to done (median)'],
        [
          ['sriov-lxc (rebootReturn poll)', range(b.ours, 2), s(b.totalMedianMs.ours)],
          ['Ansible reboot module, defaults', range(b.ansibleDefault, 2), s(b.totalMedianMs.ansibleDefault)],
          [`Ansible reboot module, ${tuned}`, range(b.ansibleTuned, 2), s(b.totalMedianMs.ansibleTuned)],
        ],
      ),
    );
  }
  if (r.fleet.length > 0) {
    const one = r.fleet.find((f) => f.nodes === 1);
    const times = (p: PipelineRun, base: PipelineRun | undefined) => (base ? `${(p.wallMs / base.wallMs).toFixed(1)}x` : '-');
    const reps = r.settings.fleetReps ?? 1;
    const without = reps > 1 ? `; without the benchmark stage ${reps} runs, each on a fresh lab: the median run's wall time and RSS, CPU median (min–max), reboot detection of all runs' nodes` : '';
    out.push('', `**Fleet scale** (one run over all nodes at once, \`--concurrency\` = nodes; controller = the provision process${without})`, '');
    out.push(
      table(
        ['nodes', 'full pipeline (quick benchmark)', 'vs 1 node', 'peak RSS', 'CPU', 'hosts ok', 'without benchmark stage', 'vs 1 node', 'peak RSS', 'CPU', 'reboot detection (median, max)'],
        r.fleet.map((f) => [
          String(f.nodes),
          s(f.full.wallMs),
          times(f.full, one?.full),
          `${Math.round(f.full.peakRssMb)} MB`,
          `${f.full.cpuS.toFixed(1)} s`,
          `${f.full.hostsOk}/${f.nodes}`,
          s(f.withoutBenchmark.wallMs),
          times(f.withoutBenchmark, one?.withoutBenchmark),
          `${Math.round(f.withoutBenchmark.peakRssMb)} MB`,
          cpuColumn(fleetRuns(f)),
          detectionColumn(fleetRuns(f)),
        ]),
      ),
    );
  }
  if (r.targets.length > 0) {
    out.push('', '**Targets**', '');
    out.push(table(['target', 'goal', 'measured', 'met'], r.targets.map((t) => [t.name, t.goal, t.measured, t.met ? 'yes' : 'no'])));
  }
  return out.join('\n');
}
