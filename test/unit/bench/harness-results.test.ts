// `npm run bench`: its command line, the resource usage the measured processes report, and the
// results document's targets and tables.
import test from 'ava';
import { parseBenchArgs } from '../../../bench/args.ts';
import { usageOf } from '../../../bench/measure.ts';
import { BENCH_FORMAT, BENCH_VERSION, judge, medianCpuS, medianRun, renderTables, spread, type BenchResults, type PipelineRun } from '../../../bench/results.ts';

test('bench arguments: defaults, sorted scales, refusals', (t) => {
  const all = ['noop', 'reboot', 'fleet'];
  t.deepEqual(parseBenchArgs([]), { parts: all, help: false, scales: [1, 8, 32], noopReps: 3, rebootReps: 5, fleetReps: 3 });
  t.deepEqual(parseBenchArgs(['--scales', '8,1', '--noop-reps', '2', '--out', 'x.json']), { parts: all, help: false, scales: [1, 8], noopReps: 2, rebootReps: 5, fleetReps: 3, out: 'x.json' });
  t.is(parseBenchArgs(['--fleet-reps', '1']).fleetReps, 1);
  t.throws(() => parseBenchArgs(['--fleet-reps', '0']), { message: /--fleet-reps "0": expected a whole number from 1 to 10/ });
  t.throws(() => parseBenchArgs(['--fleet-reps', '11']), { message: /--fleet-reps "11": expected a whole number from 1 to 10/ });
  t.deepEqual(parseBenchArgs(['--parts', 'reboot,noop']).parts, ['noop', 'reboot'], 'in the order they run');
  t.throws(() => parseBenchArgs(['--parts', 'noop,converge']), { message: /--parts noop,converge: expected some of noop, reboot, fleet/ });
  t.throws(() => parseBenchArgs(['--scales', '1,33']), { message: /--scales "33": expected a whole number from 1 to 32/ });
  t.throws(() => parseBenchArgs(['--scales', '8,8']), { message: /each size once/ });
  t.throws(() => parseBenchArgs(['--reps', '2']), { message: /Unknown option '--reps'/ });
});

test('usage of a command: the largest peak RSS, the CPU of all its Node processes', (t) => {
  const lines = [
    JSON.stringify({ pid: 1, maxRssKb: 204_800, userUs: 1_500_000, systemUs: 500_000 }),
    JSON.stringify({ pid: 2, maxRssKb: 51_200, userUs: 250_000, systemUs: 250_000 }),
    '',
  ].join('\n');
  t.deepEqual(usageOf(lines), { peakRssMb: 200, cpuS: 2.5 });
  t.is(usageOf(''), undefined);
});

test('spread: median of odd and even counts, min, max', (t) => {
  t.deepEqual(spread([300, 100, 200]), { medianMs: 200, minMs: 100, maxMs: 300, samples: [300, 100, 200] });
  t.is(spread([100, 200, 300, 400]).medianMs, 250);
  t.throws(() => spread([]));
});

const run = (wallMs: number, peakRssMb: number): PipelineRun => ({ wallMs, peakRssMb, cpuS: 10, hostsOk: 1, failures: {} });

function results(): Omit<BenchResults, 'targets'> {
  return {
    format: BENCH_FORMAT,
    version: BENCH_VERSION,
    startedAt: '2026-11-24T21:00:00.000Z',
    finishedAt: '2026-11-24T22:00:00.000Z',
    machine: { cpus: 2, memoryGb: 24, kernel: '6.1', node: 'v24.21.0', ansible: 'ansible-playbook [core 2.14.18]', loadAvgAtStart: [0.5, 0.4, 0.3] },
    settings: { scales: [1, 32], noopReps: 3, rebootReps: 5, bootDelayMs: 2000, flavour: 'centos7' },
    noop: [{ nodes: 1, parallel: 1, ours: spread([2000]), ansible: spread([12_000]), oursRoundTripsPerHost: 124, ansibleModulesPerHost: 56 }],
    reboot: {
      node: 'node1',
      ours: spread([300, 700]),
      ansibleDefault: spread([2500]),
      ansibleTuned: spread([1500]),
      tunedParams: { sriov_post_reboot_delay: 3 },
      totalMedianMs: { ours: 5000, ansibleDefault: 8000, ansibleTuned: 7000 },
    },
    fleet: [
      { nodes: 1, full: run(100_000, 150), withoutBenchmark: run(40_000, 140) },
      { nodes: 32, full: run(700_000, 210), withoutBenchmark: run(100_000, 190) },
    ],
  };
}

test('targets: each judged on its figure (issue 26\'s goals, and the earlier ones they do not replace)', (t) => {
  t.deepEqual(judge(results()), [
    { name: 'no-op converge, 1 node(s)', goal: 'at most 0.10 of Ansible', measured: '0.17 of Ansible', met: false },
    { name: 'SSH round trips per host, no-op, 1 node(s)', goal: 'at most 30', measured: '124', met: false },
    { name: 'reboot detection, 1 node', goal: 'at most 0.5 s after sshd is ready', measured: 'median 0.50 s, max 0.70 s', met: false },
    { name: 'controller CPU per added node, 32 vs 1, without the benchmark stage', goal: 'at most 0.2 CPU-s', measured: '0.00 CPU-s', met: true },
    { name: 'controller memory per added node, 32 vs 1, without the benchmark stage', goal: 'at most 5 MB', measured: '1.6 MB', met: true },
    { name: '32 nodes vs 1, full pipeline', goal: 'at most 3x the wall time', measured: '7.0x', met: false },
    { name: '32 nodes vs 1, without the benchmark stage', goal: 'at most 3x the wall time', measured: '2.5x', met: true },
    { name: 'controller peak RSS, 32 nodes', goal: 'under 200 MB', measured: '210 MB', met: false },
  ]);
});

test('targets: the 8-node size is the one judged when the run has it; reboot detection is the fleet\'s, nodes provisioning', (t) => {
  const r = results();
  const at8 = (cpuS: number, peakRssMb: number, detection: number[]): PipelineRun => ({ ...run(60_000, peakRssMb), cpuS, detection: spread(detection) });
  const withEight = {
    ...r,
    noop: [...r.noop, { nodes: 8, parallel: 8, ours: spread([1000]), ansible: spread([20_000]), oursRoundTripsPerHost: 28, ansibleModulesPerHost: 56 }],
    fleet: [r.fleet[0]!, { nodes: 8, full: at8(14, 150, [400]), withoutBenchmark: at8(11.4, 175, [350, 430, 480]) }, r.fleet[1]!],
  };
  const byName = new Map(judge(withEight).map((x) => [x.name, x]));
  t.deepEqual(byName.get('no-op converge, 8 node(s)'), { name: 'no-op converge, 8 node(s)', goal: 'at most 0.10 of Ansible', measured: '0.05 of Ansible', met: true });
  t.is(byName.get('SSH round trips per host, no-op, 8 node(s)')?.met, true);
  t.deepEqual(byName.get('reboot detection, 8 nodes provisioning'), { name: 'reboot detection, 8 nodes provisioning', goal: 'at most 0.5 s after sshd is ready', measured: 'median 0.43 s, max 0.48 s', met: true });
  // (11.4 - 10) / 7 = 0.20 CPU-s: at the goal; (175 - 140) / 7 = 5.0 MB: at the goal.
  t.deepEqual(byName.get('controller CPU per added node, 8 vs 1, without the benchmark stage')?.measured, '0.20 CPU-s');
  t.is(byName.get('controller CPU per added node, 8 vs 1, without the benchmark stage')?.met, true);
  t.deepEqual(byName.get('controller memory per added node, 8 vs 1, without the benchmark stage')?.measured, '5.0 MB');
  t.false(byName.has('no-op converge, 1 node(s)'));
});

test('targets with repeated runs without the benchmark stage: CPU and memory per added node from each size\'s medians, reboot detection over every run\'s nodes', (t) => {
  const r = results();
  const of = (cpuS: number, peakRssMb: number, detection?: number[]): PipelineRun => ({ ...run(60_000, peakRssMb), cpuS, ...(detection ? { detection: spread(detection) } : {}) });
  const ones = [of(0.9, 130), of(0.7, 128), of(0.75, 129)];
  // At 8 nodes the runs' CPU 2.45, 2.30 and 3.10: one run alone could say 0.22 or 0.34 per added node.
  const eights = [of(2.45, 150, [100, 200, 300]), of(2.3, 149, [120, 140, 160]), of(3.1, 170, [90, 560, 110])];
  const fleet = [
    { nodes: 1, full: run(100_000, 150), withoutBenchmark: medianRun(ones), withoutBenchmarkRuns: ones },
    { nodes: 8, full: run(300_000, 160), withoutBenchmark: medianRun(eights), withoutBenchmarkRuns: eights },
  ];
  const repeated = { ...r, settings: { ...r.settings, fleetReps: 3 }, fleet };
  t.is(medianRun(eights).cpuS, 2.45);
  const byName = new Map(judge(repeated).map((x) => [x.name, x]));
  // (2.45 - 0.75) / 7 = 0.243; (150 - 129) / 7 = 3.0 MB.
  t.deepEqual(byName.get('controller CPU per added node, 8 vs 1, without the benchmark stage, medians of 3 runs'), { name: 'controller CPU per added node, 8 vs 1, without the benchmark stage, medians of 3 runs', goal: 'at most 0.2 CPU-s', measured: '0.24 CPU-s', met: false });
  t.is(byName.get('controller memory per added node, 8 vs 1, without the benchmark stage, medians of 3 runs')?.measured, '3.0 MB');
  // The third run's 0.56 s fails the goal though the median run's nodes were all within it.
  t.deepEqual(byName.get('reboot detection, 8 nodes provisioning (3 runs)'), { name: 'reboot detection, 8 nodes provisioning (3 runs)', goal: 'at most 0.5 s after sshd is ready', measured: 'median 0.14 s, max 0.56 s', met: false });
  const text = renderTables({ ...repeated, targets: judge(repeated) });
  t.regex(text, /without the benchmark stage 3 runs, each on a fresh lab/);
  t.regex(text, /^\| 8 \| 300\.0 s \| 3\.0x \| 160 MB \| 10\.0 s \| 1\/8 \| 60\.0 s \| 1\.0x \| 150 MB \| 2\.45 s \(2\.30–3\.10\) \| 0\.14 s, 0\.56 s \|$/m);
});

test('the tables: one row per measurement, ratios against one node', (t) => {
  const r = results();
  const text = renderTables({ ...r, targets: judge(r) });
  t.regex(text, /^\| 1 \| 1 \| 2\.0 s \(2\.0 s–2\.0 s\) \| 12\.0 s \(12\.0 s–12\.0 s\) \| 0\.17 \| 124 \| 56 \|$/m);
  t.regex(text, /^\| sriov-lxc \(rebootReturn poll\) \| 0\.50 s \(0\.30 s–0\.70 s\) \| 5\.0 s \|$/m);
  t.regex(text, /^\| Ansible reboot module, post_reboot_delay=3 \| 1\.50 s/m);
  t.regex(text, /^\| 32 \| 700\.0 s \| 7\.0x \| 210 MB \| 10\.0 s \| 1\/32 \| 100\.0 s \| 2\.5x \| 190 MB \| 10\.00 s \| - \|$/m);
  t.regex(text, /^\| controller peak RSS, 32 nodes \| under 200 MB \| 210 MB \| no \|$/m);
});

test('the machine line says whether ssh2 ran its ciphers natively (controller CPU depends on it); older results say nothing', (t) => {
  const r = results();
  const line = (machine: Omit<BenchResults, 'targets'>['machine']): string => renderTables({ ...r, machine, targets: judge(r) }).split('\n').find((l) => l.startsWith('Machine:')) ?? '';
  t.regex(line({ ...r.machine, sshNativeCrypto: true }), /Node v24\.21\.0 \(ssh2 ciphers native\), ansible/);
  t.regex(line({ ...r.machine, sshNativeCrypto: false }), /Node v24\.21\.0 \(ssh2 ciphers in JavaScript: its binding did not load\), ansible/);
  t.regex(line(r.machine), /Node v24\.21\.0, ansible/);
});

test('the no-op through the Ansible collection: its own table with the overhead, only when measured', (t) => {
  const r = results();
  t.notRegex(renderTables({ ...r, targets: judge(r) }), /Through the Ansible collection/, 'results of before the row have none');
  const withCollection = { ...r, noop: [{ ...r.noop[0]!, nodes: 8, ours: spread([6000, 6600]), collection: spread([9000, 10_000, 11_000]) }] };
  const text = renderTables({ ...withCollection, targets: judge(withCollection) });
  t.regex(text, /\*\*Through the Ansible collection\*\*/);
  t.regex(text, /^\| 8 \| 6\.3 s \(6\.0 s–6\.6 s\) \| 10\.0 s \(9\.0 s–11\.0 s\) \| 3\.7 s \| 0\.5 s \|$/m);
});

test('the CPU of a no-op: controller and nodes per tool, only when measured', (t) => {
  const r = results();
  t.notRegex(renderTables({ ...r, targets: judge(r) }), /CPU of a no-op/, 'results of before the row have none');
  const withCpu = { ...r, noop: [{ ...r.noop[0]!, nodes: 8, cpuS: { ours: 1.234, oursNodes: 3.5, ansibleNodes: 40.25 } }] };
  const text = renderTables({ ...withCpu, targets: judge(withCpu) });
  t.regex(text, /\*\*CPU of a no-op\*\* \(median of 3;/);
  t.regex(text, /^\| 8 \| 1\.23 s \| 3\.50 s \| 40\.25 s \|$/m);
});

test('the median of CPU seconds keeps hundredths (spread rounds to whole units)', (t) => {
  t.is(medianCpuS([1.234]), 1.23);
  t.is(medianCpuS([3.456, 4.1]), 3.78);
  t.is(medianCpuS([0.27, 5, 0.3]), 0.3);
});
