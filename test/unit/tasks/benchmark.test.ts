// The benchmark stage over a fake node that answers with fio and iperf3 outputs captured here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { fixture } from '../../helpers/fake-host.ts';
import type { FakeHost } from '../../helpers/fake-host.ts';
import { benchmarkStage } from '../../../tasks/benchmark.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { readBenchmarkResult, writeBenchmarkResult } from '../../../benchmark/results/store.ts';
import { plannedInputs } from '../../../benchmark/results/identity.ts';
import { runLine } from '../../../benchmark/report/text.ts';
import { compareSamples, familyConfidence } from '../../../benchmark/stats/verdict.ts';
import { computePenalties } from '../../../benchmark/stats/analysis.ts';
import { FatalError } from '../../../core/errors.ts';
import type { HostPlan } from '../../../inventory/plan.ts';
import { benchPlan, fakeBenchNode, NODE_IDENTITY, WORK_DIR } from '../../fixtures/bench/fake-node.ts';

const RUN = '2026-11-24T20-17-00Z-a1b2';

function context(t: ExecutionContext, host: FakeHost, plan: HostPlan = benchPlan(), runId = RUN, stateDir?: string): StageContext & { lines: string[] } {
  const dir = stateDir ?? mkdtempSync(path.join(tmpdir(), 'bench-stage-'));
  if (!stateDir) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  return { host, plan, outputs: {}, log: (m) => lines.push(m), signal: new AbortController().signal, runId, stateDir: dir, lines };
}

test('check before any run plans the benchmark with its duration and where the results go', async (t) => {
  const ctx = context(t, fakeBenchNode());
  const result = await benchmarkStage.check(ctx);
  t.false(result.done);
  const plan = result.done ? '' : result.plan.join('\n');
  t.regex(plan, /the host, centos1 with profile quick, 6 repetitions, about \d+ (s|min)/);
  // 2 iperf3 + 16 fio points x 2 (IOPS and bandwidth one ratio, latency): t(1 - 0.05/68, 5) = 6.31, t(0.975, 5) = 2.57 (scipy.stats.t.ppf).
  t.regex(plan, /^ {2}the 34 comparisons' verdicts hold together: t quantile 6\.3 with 5 degrees of freedom \(2\.6 for one interval alone\)$/m);
  t.regex(plan, /iperf3 to 10\.254\.93\.1 both directions \(-O 0 -t 1\)/);
  t.regex(plan, /fio's 7 tests \(16 points\) on \/srv\/bench/);
  t.true(plan.includes(path.join(ctx.stateDir, 'hosts', 'node1', 'runs', RUN, 'benchmark.json')));
  t.deepEqual(ctx.host instanceof Object && (ctx.host as FakeHost).commands, [], 'check runs nothing on the node');
});

test('apply measures host and container alike, stores the document, verify and check agree', async (t) => {
  const host = fakeBenchNode();
  const ctx = context(t, host);
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  t.truthy(doc);
  t.deepEqual(doc.targets, ['host', 'centos1']);
  t.is(doc.fio.tests.length, 7);
  for (const test of doc.fio.tests) {
    t.is(test.points.length, test.values.length * 2, test.id);
    t.true(test.points.every((p) => p.samples.length === 6));
  }
  t.is(doc.iperf3.status, 'ran');
  t.deepEqual(doc.iozone, { status: 'skipped', reason: 'iozone is not installed on the host (Debian: package iozone3, in non-free)' });
  // 2 iperf3 directions + 16 fio points × 3 metrics, for one container.
  t.is(doc.penalties.length, 2 + 16 * 3);

  // Host and container once each per round of a point, in the round's order (drawn at random),
  // which is recorded: the commands ran in the recorded order.
  const fio = host.commands.filter((c) => c.includes('--name=seqwrite-bs') && c.includes('--bs=4096'));
  t.is(doc.order.length, 6);
  t.true(doc.order.every((o) => [...o].sort().join() === 'centos1,host'), JSON.stringify(doc.order));
  t.deepEqual(fio.map((c) => c.startsWith('lxc-attach -n centos1 -- fio') ? 'centos1' : 'host'), doc.order.flat());
  t.true(host.commands.every((c) => !c.includes('fio') || !c.includes('--directory=') || c.includes(`--directory=${WORK_DIR}`)), 'fio works in the private directory only');
  t.is(host.commands.at(-1), `rm -rf -- ${WORK_DIR}`);
  t.true(ctx.lines.some((l) => l.startsWith('benchmark node1: run')));

  const outputs = await benchmarkStage.verify(ctx);
  t.like(outputs, { runId: RUN, profile: 'quick', penaltyThreshold: 10, resultsPath: path.join(ctx.stateDir, 'hosts/node1/runs', RUN, 'benchmark.json') });
  t.true(Array.isArray(outputs.flagged));

  const later = context(t, fakeBenchNode(), benchPlan(), 'a-later-run', ctx.stateDir);
  const check = await benchmarkStage.check(later);
  t.true(check.done);
  t.regex(check.done ? check.reason : '', new RegExp(`measured in run ${RUN} \\(.*, profile quick\\)`));
});

test('another profile or threshold re-opens the stage', async (t) => {
  const ctx = context(t, fakeBenchNode());
  await benchmarkStage.apply(ctx);
  for (const plan of [benchPlan({ profile: 'paper' }), benchPlan({ penaltyThreshold: 5 })]) {
    const check = await benchmarkStage.check(context(t, fakeBenchNode(), plan, 'next-run', ctx.stateDir));
    t.false(check.done);
  }
});

test('the captured runs (the same machine twice: an A/A comparison) show no penalty, and nothing beyond the noise', async (t) => {
  // The 2 rounds captured: more would repeat them, and repeated rounds are not independent noise.
  const ctx = context(t, fakeBenchNode(), benchPlan({ penaltyThreshold: 5, repetitions: 2 }));
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  t.deepEqual([...new Set(doc.penalties.map((p) => p.verdict))], ['noise']);
});

test('a penalty whose whole interval is beyond the threshold is flagged in the document and the outputs', async (t) => {
  const ctx = context(t, fakeBenchNode({ slowdown: { centos1: 2 } }));
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  const flagged = doc.penalties.filter((p) => p.flagged);
  t.true(flagged.length > 0);
  t.true(flagged.every((p) => p.verdict === 'penalty' && p.ci!.low > 10));
  t.true(doc.penalties.filter((p) => !p.flagged).every((p) => p.ci === null || p.ci.low <= 10));
  const outputs = await benchmarkStage.verify(ctx);
  t.is((outputs.flagged as unknown[]).length, flagged.length);
});

test('missing tools are listed for every target before anything runs', async (t) => {
  const host = fakeBenchNode({ missing: ['centos1:fio', 'centos1:iperf3'] });
  const error = await t.throwsAsync(benchmarkStage.apply(context(t, host)), { instanceOf: FatalError });
  t.regex(error.message, /fio is not installed on the container centos1 on node1\n\s+iperf3 is not installed/);
  t.regex(error.hint ?? '', /apt-get install fio iperf3/);
  t.false(host.commands.some((c) => c.startsWith('fio') || c.includes('-- fio') || c.includes('iperf3 -c')));
});

test('a container that does not see the host\'s directory stops the benchmark with the mount entry to add', async (t) => {
  const host = fakeBenchNode({ unshared: ['centos1'] });
  const error = await t.throwsAsync(benchmarkStage.apply(context(t, host)), { instanceOf: FatalError });
  t.regex(error.message, /container centos1 does not see the host's \/srv\/bench/);
  t.regex(error.hint!, /^bind-mount it into the container: lxc\.mount\.entry = \/srv\/bench srv\/bench none bind,create=dir 0 0 \(.*user namespace/);
  t.true(host.commands.includes(`rm -f -- ${WORK_DIR}/.sriov-lxc-bench-marker`), 'the marker is removed');
  t.is(host.commands.at(-1), `rm -rf -- ${WORK_DIR}`, 'and the private directory');
});

test('no iperf3 server on the peer: a fatal error that says to start one', async (t) => {
  const host = fakeBenchNode({ iperf3Errors: [fixture('bench/iperf3-refused.json')] });
  const error = await t.throwsAsync(benchmarkStage.apply(context(t, host)), { instanceOf: FatalError });
  // The first target of the first round (drawn at random) meets the refusal and names itself.
  t.regex(error.message, /^iperf3 from the (host node1|container centos1 on node1) to 10\.254\.93\.1 failed: unable to connect to server: Connection refused/);
  t.regex(error.hint ?? '', /iperf3 -s/);
});

test('a busy iperf3 server is waited for', async (t) => {
  const host = fakeBenchNode({ iperf3Errors: [fixture('bench/iperf3-busy.json')] });
  const ctx = context(t, host);
  await benchmarkStage.apply(ctx);
  // The busy answer meets whichever target the first round draws first: one retry there, then every
  // target's 6 measurements of forward.
  t.is(host.commands.filter((c) => c === 'iperf3 -c 10.254.93.1 -J -O 0 -t 1' || c === 'lxc-attach -n centos1 -- iperf3 -c 10.254.93.1 -J -O 0 -t 1').length, 13, 'one retry, then 6 on each target');
});

test('without a peer iperf3 is skipped with the reason, and not required', async (t) => {
  const host = fakeBenchNode({ missing: ['centos1:iperf3'] });
  const ctx = context(t, host, benchPlan({ peer: undefined }));
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  t.deepEqual(doc.iperf3, { status: 'skipped', reason: 'no benchmark.peer (iperf3 server) in the inventory' });
  t.false(host.commands.some((c) => c.includes('iperf3 -c')));
});

test('iozone on the host is detected and its skip explained', async (t) => {
  const ctx = context(t, fakeBenchNode({ iozone: true }));
  await benchmarkStage.apply(ctx);
  t.regex(readBenchmarkResult(ctx.stateDir, 'node1', RUN)!.iozone.reason, /iozone found at \/usr\/bin\/iozone but not run/);
});

test('a fio failure names the target and the command, and the test file is still removed', async (t) => {
  const stderr = fixture('bench/fio-enospc.stderr');
  const host = fakeBenchNode({ fioFailure: { target: 'centos1', test: 'randread-bs', stderr } });
  const error = await t.throwsAsync(benchmarkStage.apply(context(t, host)));
  t.regex(error.message, /fio randread-bs bs=4096 on the container centos1 on node1 failed \(exit 1\): .*No space left on device/);
  t.is(host.commands.at(-1), `rm -rf -- ${WORK_DIR}`);
});

test('verify rejects an incomplete result', async (t) => {
  const ctx = context(t, fakeBenchNode());
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  const test0 = doc.fio.tests[0]!;
  writeBenchmarkResult(ctx.stateDir, { ...doc, fio: { ...doc.fio, tests: [{ ...test0, points: test0.points.slice(1) }, ...doc.fio.tests.slice(1)] } });
  const error = await t.throwsAsync(benchmarkStage.verify(ctx), { instanceOf: FatalError });
  t.regex(error.message, /incomplete: fio seqwrite-512-qd iodepth=1 on host: not measured/);
});

test('the gate: a penalty past benchmark.maxPenalty fails verify naming the points, and the next run measures again', async (t) => {
  const plan = benchPlan({ maxPenalty: { iops: 20 } });
  const ctx = context(t, fakeBenchNode({ slowdown: { centos1: 2 } }), plan);
  await benchmarkStage.apply(ctx);
  const error = await t.throwsAsync(benchmarkStage.verify(ctx), { instanceOf: FatalError });
  t.regex(error.message, /^benchmark gate: \d+ penalt(y|ies) past benchmark\.maxPenalty in .*benchmark\.json:\n {2}centos1, \S+ (iodepth|bs|numjobs)=\S+( KiB)?: IOPS [\d,]+ vs [\d,]+ on the host, \d+\.\d\d % lower \(95 % interval \[\d+\.\d, \d+\.\d\] %, ±\d+\.\d points over 6 rounds\); maxPenalty\.iops is 20 %/);
  t.false(/Latency|BW/.test(error.message), 'only the gated family');
  t.regex(error.hint ?? '', /provision --only benchmark/);
  t.true(ctx.lines.some((l) => /gate \(benchmark\.maxPenalty\): FAILED at \d+ points?/.test(l)));
  const next = await benchmarkStage.check(context(t, fakeBenchNode(), plan, 'next-run', ctx.stateDir));
  t.false(next.done);
  t.regex(next.done ? '' : next.plan[0]!, new RegExp(`run ${RUN} failed the gate \\(benchmark\\.maxPenalty\\): measure again`));
});

test('the gate passes when the differences are within noise, however large the estimates', async (t) => {
  const ctx = context(t, fakeBenchNode(), benchPlan({ maxPenalty: { network: 0, iops: 0, bandwidth: 0, latency: 0 } }));
  await benchmarkStage.apply(ctx);
  const outputs = await benchmarkStage.verify(ctx);
  t.is((outputs.flagged as unknown[]).length, 0);
  t.true(ctx.lines.includes('  gate (benchmark.maxPenalty): passed'));
});

test('benchmark.repetitions overrides the profile\'s: every point measured that often, in the recorded order', async (t) => {
  const host = fakeBenchNode();
  const ctx = context(t, host, benchPlan({ repetitions: 3 }));
  const planned = await benchmarkStage.check(ctx);
  t.regex(planned.done ? '' : planned.plan.join('\n'), /with profile quick, 3 repetitions/);
  // t(1 - 0.05/68, 2) = 26.0 against t(0.975, 2) = 4.30 (scipy.stats.t.ppf; for 2 degrees of freedom (2p - 1)/sqrt(2p(1 - p))).
  t.regex(planned.done ? '' : planned.plan.join('\n'), /t quantile 26\.0 with 2 degrees of freedom \(4\.3 for one interval alone\); the intervals are 6 times as wide: more minimum rounds \(benchmark\.repetitions, 6 or more\) narrow them$/m);
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  t.is(doc.repetitions, 3);
  t.true(doc.fio.tests.every((test) => test.points.every((p) => p.samples.length === 3)));
  t.is(doc.order.length, 3);
  const iperf = host.commands.filter((c) => c.includes('iperf3 ') && c.includes(' -c ') && !c.includes(' -R'));
  t.deepEqual(iperf.map((c) => c.startsWith('lxc-attach -n centos1 --') ? 'centos1' : 'host'), doc.order.flat());
  await benchmarkStage.verify(ctx);
});

test('the standard profile: the fio points\' first stage is 20 rounds, iperf3\'s 10; each interval takes its spread and degrees of freedom from its own kind\'s', async (t) => {
  const host = fakeBenchNode();
  // Budget 0: the minimum rounds only.
  const ctx = context(t, host, benchPlan({ profile: 'standard', repetitions: undefined, budget: 0 }));
  const planned = await benchmarkStage.check(ctx);
  t.regex(planned.done ? '' : planned.plan.join('\n'), /with profile standard, 10 repetitions \(fio 20\)/);
  // 2 + 3 × 2 comparisons with one container: t(1 - 0.05/16, 9) = 3.55, t(1 - 0.05/16, 19) = 3.07, t(0.975, 9) = 2.26.
  t.regex(planned.done ? '' : planned.plan.join('\n'), /t quantile 3\.5 with 9 degrees of freedom \(2\.3 for one interval alone\); the fio points' 3\.1 with 19$/m);
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  t.is(doc.repetitions, 10);
  t.is(doc.fio.repetitions, 20);
  t.true(doc.fio.tests.every((test) => test.points.every((p) => p.samples.length === 20)));
  t.true(doc.iperf3.status === 'ran' && doc.iperf3.runs.every((r) => r.samples.length === 10));
  const confidence = familyConfidence(doc.confidence, 8);
  // The captured outputs repeat every round (no spread): the host's IOPS given a known wobble.
  const varied = structuredClone(doc);
  const randread = (d: typeof doc, target: string) => d.fio.tests.find((x) => x.id === 'randread-bs')!.points.find((p) => p.target === target)!.samples;
  randread(varied, 'host').forEach((s, i) => {
    const wobble = Math.exp(0.05 * Math.sin(i + 1));
    s.read.iops *= wobble;
    s.read.bwBytes *= wobble;
  });
  const fioPenalty = computePenalties(varied).find((p) => p.test === 'randread-bs' && p.metric === 'iops')!;
  const iops = (target: string) => randread(varied, target).map((s) => s.read.iops);
  t.deepEqual(fioPenalty.ci, compareSamples('iops', iops('host'), iops('centos1'), doc.penaltyThreshold, confidence, 20).ci);
  t.notDeepEqual(fioPenalty.ci, compareSamples('iops', iops('host'), iops('centos1'), doc.penaltyThreshold, confidence, 10).ci);
  const iperf3Penalty = doc.penalties.find((p) => p.test === 'iperf3' && p.point === 'forward')!;
  const received = (target: string) => doc.iperf3.status === 'ran' ? doc.iperf3.runs.find((r) => r.target === target && r.direction === 'forward')!.samples.map((s) => s.receivedBps) : [];
  t.deepEqual(iperf3Penalty.ci, compareSamples('throughput', received('host'), received('centos1'), doc.penaltyThreshold, confidence, 10).ci);
  t.regex(runLine(doc), /10 to 20 rounds per point \(at least 10, fio 20; more until ±5 points\)/);
});

test('a version 1 result is read with its penalties recomputed (intervals and verdicts from its samples)', async (t) => {
  const ctx = context(t, fakeBenchNode({ slowdown: { centos1: 2 } }));
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  const { confidence: _c, maxPenalty: _m, order: _o, ...rest } = doc;
  const v1 = { ...rest, version: 1, penalties: doc.penalties.map(({ ci: _ci, verdict: _v, ...p }) => ({ ...p, flagged: true })) };
  const file = path.join(ctx.stateDir, 'hosts', 'node1', 'runs', RUN, 'benchmark.json');
  writeFileSync(file, JSON.stringify(v1));
  const read = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  t.is(read.version, 3);
  t.deepEqual(read.measuredOn, {}, 'version 1 did not record the node');
  t.deepEqual(read.penalties, doc.penalties);
  t.deepEqual(read.order, Array.from({ length: 6 }, () => ['host', 'centos1']), 'version 1 measured the host first');
});

test('a result stands for the node it measured: another cmdline, machine-id, driver or container limit re-opens the stage naming the change', async (t) => {
  const ctx = context(t, fakeBenchNode());
  await benchmarkStage.apply(ctx);
  t.true(readBenchmarkResult(ctx.stateDir, 'node1', RUN)!.measuredOn['kernel-cmdline']?.includes('iommu=pt'));
  const same = await benchmarkStage.check(context(t, fakeBenchNode(), benchPlan(), 'same', ctx.stateDir));
  t.true(same.done, 'the same node and plan: done');
  const changes: [string, string, RegExp][] = [
    ['kernel-cmdline', NODE_IDENTITY.replace('iommu=pt', 'iommu=pt hugepages=64'), /kernel-cmdline: was ".*iommu=pt", now ".*iommu=pt hugepages=64"/],
    ['machine-id', NODE_IDENTITY.replace('4f1c2b9a8e7d4c6b9a0f1e2d3c4b5a69', '0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a'), /machine-id: was "4f1c.*", now "0a0a/],
    ['driver', NODE_IDENTITY.replace('version 5.19.6', 'version 5.20.3'), /driver ixgbe: was "version 5\.19\.6.*", now "version 5\.20\.3/],
    ['container config', NODE_IDENTITY.replace('memory.max=1G', 'memory.max=512M'), /container centos1 config: was "lxc\.cgroup2\.memory\.max=1G", now "lxc\.cgroup2\.memory\.max=512M"/],
  ];
  for (const [what, identity, named] of changes) {
    const check = await benchmarkStage.check(context(t, fakeBenchNode({ identity }), benchPlan(), `after-${what}`, ctx.stateDir));
    t.false(check.done, what);
    const plan = check.done ? '' : check.plan.join('\n');
    t.regex(plan, new RegExp(`measure again: changed since run ${RUN}`), what);
    t.regex(plan, named, what);
  }
  const limited = benchPlan();
  limited.containers[0]!.limits = { memory: '512M' };
  const check = await benchmarkStage.check(context(t, fakeBenchNode(), limited, 'plan-limit', ctx.stateDir));
  t.regex(check.done ? '' : check.plan.join('\n'), /container centos1 plan: was ".*"limits":\{\}.*", now ".*"limits":\{"memory":"512M"\}/);
  await t.throwsAsync(benchmarkStage.verify(context(t, fakeBenchNode({ identity: changes[0]![1] }), benchPlan(), 'v', ctx.stateDir)), { message: /no benchmark result for node1 as it is now: changed since run .*kernel-cmdline/ });
});

test('a result of an older sriov-lxc (no measuredOn) is measured again', async (t) => {
  const ctx = context(t, fakeBenchNode());
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  const { measuredOn: _m, ...v2 } = doc;
  writeFileSync(path.join(ctx.stateDir, 'hosts', 'node1', 'runs', RUN, 'benchmark.json'), JSON.stringify({ ...v2, version: 2 }));
  const check = await benchmarkStage.check(context(t, fakeBenchNode(), benchPlan(), 'later', ctx.stateDir));
  t.false(check.done);
  t.regex(check.done ? '' : check.plan.join('\n'), /the node it measured: not recorded/);
});

test('a result measured under another definition of its profile (an older sriov-lxc\'s standard: one 1 s fio run per round) is measured again, naming the procedure', async (t) => {
  const plan = benchPlan({ profile: 'standard', repetitions: 3 });
  const ctx = context(t, fakeBenchNode(), plan);
  await benchmarkStage.apply(ctx);
  const doc = readBenchmarkResult(ctx.stateDir, 'node1', RUN)!;
  // benchmark.repetitions sets both kinds' minimum rounds: the procedure says what ran.
  t.regex(doc.measuredOn['profile procedure']!, /^fio 500 ms runs, twice per round \(mirrored\), ramp 0 ms, 134217728 B file, at least 3 rounds: seqwrite-512-qd iodepth=1; randread-bs bs=32768; randwrite-4k-threads numjobs=4; iperf3 -O 1 -t 1, at least 3 rounds$/);
  t.regex(plannedInputs(benchPlan({ profile: 'standard', repetitions: undefined }))['profile procedure']!, /134217728 B file, at least 20 rounds: .*; iperf3 -O 1 -t 1, at least 10 rounds$/);
  t.true((await benchmarkStage.check(context(t, fakeBenchNode(), plan, 'same', ctx.stateDir))).done);
  const older = 'fio 1000 ms runs, ramp 0 ms, 134217728 B file: seqwrite-512-qd iodepth=8; randread-bs bs=32768; randwrite-4k-threads numjobs=4; iperf3 -O 1 -t 2';
  writeBenchmarkResult(ctx.stateDir, { ...doc, measuredOn: { ...doc.measuredOn, 'profile procedure': older } });
  const check = await benchmarkStage.check(context(t, fakeBenchNode(), plan, 'later', ctx.stateDir));
  t.false(check.done);
  t.regex(check.done ? '' : check.plan.join('\n'), /profile procedure: was "fio 1000 ms runs, ramp 0 ms.*", now "fio 500 ms runs, twice per round \(mirrored\)/);
});
