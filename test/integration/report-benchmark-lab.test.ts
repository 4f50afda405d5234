// The benchmark stage for real, with the `quick` profile: this machine is the host (LocalHost), a
// busybox LXC container owns a macvlan on a veth (the lab's VF stand-in) and sees fio and iperf3
// bind-mounted from the host, the iperf3 peer is a network namespace at the veth's other end, and
// the fio directory is bind-mounted into the container. Every name and address is the test's own
// and removed afterwards.
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { LocalHost } from '../../hosts/local.ts';
import { renderReport } from '../../benchmark/report/render.ts';
import { benchmarkStage } from '../../tasks/benchmark.ts';
import { readBenchmarkResult } from '../../benchmark/results/store.ts';
import { renderPenaltySummary } from '../../benchmark/report/summary.ts';
import { benchPlan } from '../fixtures/bench/fake-node.ts';
import type { BenchmarkDocument, FioSample, Penalty } from '../../benchmark/results/results.ts';

const exec = promisify(execFile);

async function sh(argv: string[]): Promise<string> {
  return (await exec(argv[0]!, argv.slice(1), { timeout: 60_000 })).stdout;
}

async function quietly(argv: string[]): Promise<void> {
  await exec(argv[0]!, argv.slice(1), { timeout: 60_000 }).catch(() => undefined);
}

/** The first 10.254.N.0/29 (N from a start derived from the pid) that no address or route here uses. */
async function freeSubnet(seed: number): Promise<string> {
  const used = `${await sh(['ip', '-4', '-o', 'addr', 'show'])}\n${await sh(['ip', '-4', 'route', 'show', 'table', 'all'])}`;
  for (let i = 0; i < 250; i++) {
    const net = `10.254.${((seed + i) % 250) + 1}`;
    if (!used.includes(`${net}.`)) return net;
  }
  throw new Error('no free 10.254.N.0/29 on this machine');
}

// The stored penalties, worked out here again from the raw samples by the definitions written out
// below (README "Benchmark"; the paper's signs), not by the tool's functions.

/** The middle value (the mean of the two middle ones for an even count). */
function middle(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const sampleVariance = (v: readonly number[]): number => v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1);

/** fio's measured side: reads for randread, writes for (rand)write, both for randrw (latency weighted by I/Os). */
function measured(rw: string, s: FioSample): { iops: number; bw: number; latency: number } {
  if (rw === 'randread') return { iops: s.read.iops, bw: s.read.bwBytes, latency: s.read.latMeanNs };
  if (rw === 'write' || rw === 'randwrite') return { iops: s.write.iops, bw: s.write.bwBytes, latency: s.write.latMeanNs };
  const ios = s.read.ios + s.write.ios;
  return { iops: s.read.iops + s.write.iops, bw: s.read.bwBytes + s.write.bwBytes, latency: (s.read.latMeanNs * s.read.ios + s.write.latMeanNs * s.write.ios) / ios };
}

/**
 * One comparison: its medians come from `host`/`lxc`; its ratio from `ratioOf` (the IOPS rounds for
 * a bandwidth that is IOPS times the block size in every round: then one interval serves both and
 * counts once in the run's family; `counted` false).
 */
interface Expected { key: string; metric: string; host: number[]; lxc: number[]; ratioOf: { host: number[]; lxc: number[] }; counted: boolean }

/** fio's bandwidth is IOPS times the block size when no I/O was short: bw_bytes rounded down to a whole byte/s (per side of a mixed test), iops to 6 decimals. */
const bandwidthIsIopsTimes = (bs: number, xs: readonly { iops: number; bw: number }[]): boolean => xs.every((x) => Math.abs(x.bw - x.iops * bs) <= 2 + 2e-6 * bs);

/** Every (test, point, container, metric) with the host's and the container's rounds, in the document's order. */
function expectedRounds(doc: BenchmarkDocument): Expected[] {
  const out: Expected[] = [];
  const containers = doc.targets.filter((x) => x !== 'host');
  if (doc.iperf3.status === 'ran') {
    const runs = doc.iperf3.runs;
    const bps = (target: string, direction: string) => runs.find((r) => r.target === target && r.direction === direction)!.samples.map((s) => s.receivedBps);
    for (const c of containers) {
      for (const d of ['forward', 'reverse']) out.push({ key: `iperf3 ${d} ${c} throughput`, metric: 'throughput', host: bps('host', d), lxc: bps(c, d), ratioOf: { host: bps('host', d), lxc: bps(c, d) }, counted: true });
    }
  }
  for (const ft of doc.fio.tests) {
    for (const c of containers) {
      for (const value of ft.values) {
        const side = (target: string) => ft.points.find((p) => p.value === value && p.target === target)!.samples.map((s) => measured(ft.rw, s));
        const [h, l] = [side('host'), side(c)];
        const bs = ft.vary === 'bs' ? value : ft.bs;
        const oneRatio = bandwidthIsIopsTimes(bs, h) && bandwidthIsIopsTimes(bs, l);
        for (const metric of ['iops', 'bw', 'latency'] as const) {
          const ratioMetric = metric === 'bw' && oneRatio ? 'iops' : metric;
          out.push({
            key: `${ft.id} ${value} ${c} ${metric}`, metric, host: h.map((x) => x[metric]), lxc: l.map((x) => x[metric]),
            ratioOf: { host: h.map((x) => x[ratioMetric]), lxc: l.map((x) => x[ratioMetric]) }, counted: ratioMetric === metric,
          });
        }
      }
    }
  }
  return out;
}

/**
 * Compares one stored penalty with the definitions: medians, rounds, the penalty of the paired
 * per-round log ratios, the interval of Stein's two-stage procedure at the run's family-wise
 * confidence (each of the `comparisons` intervals at 1 - 0.05/comparisons, Bonferroni), the
 * verdict. Returns what differs.
 */
function penaltyMismatches(p: Penalty, e: Expected, threshold: number, comparisons: number, firstRounds: number): string[] {
  const wrong: string[] = [];
  const near = (a: number, b: number, what: string, tol = 1e-9) => {
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) wrong.push(`${what} ${a}, expected ${b}`);
  };
  near(p.host, middle(e.host), 'host median');
  near(p.lxc, middle(e.lxc), 'container median');
  const n = Math.min(e.host.length, e.lxc.length);
  if (p.rounds !== n) wrong.push(`rounds ${p.rounds}`);
  // Paired by round: the log of the container's value over the host's in the same round. Worse is
  // fewer of a throughput, more of a latency.
  const d = Array.from({ length: n }, (_, i) => Math.log(e.ratioOf.lxc[i]!) - Math.log(e.ratioOf.host[i]!));
  const worseUp = e.metric === 'latency' ? 1 : -1;
  const pctOfLogRatio = (x: number) => worseUp * (Math.exp(x) - 1) * 100;
  near(p.penaltyPct ?? Number.NaN, pctOfLogRatio(mean(d)), 'penalty %');
  if (!p.ci) return [...wrong, 'no interval'];
  // The interval: mean(d) +- t * s / sqrt(n) in log ratios, s from the first `firstRounds` rounds,
  // its ends turned into penalties like the estimate. With 2 first rounds t has 1 degree of
  // freedom, where Student's quantile is tan(pi (q - 1/2)) (the Cauchy distribution), q = 1 - 0.05
  // / (2 comparisons). Compared as penalties: an end near a ratio of 0 is 100 % exactly in floats.
  if (firstRounds !== 2) return [...wrong, `first rounds ${firstRounds}: this check knows t for 1 degree of freedom only`];
  const s = Math.sqrt(sampleVariance(d.slice(0, firstRounds)));
  const half = Math.tan(Math.PI * (1 - 0.05 / (2 * comparisons) - 0.5)) * (s / Math.sqrt(n));
  const ends = [pctOfLogRatio(mean(d) - half), pctOfLogRatio(mean(d) + half)].sort((x, y) => x - y);
  near(p.ci.low, ends[0]!, 'interval low end %', 1e-6);
  near(p.ci.high, ends[1]!, 'interval high end %', 1e-6);
  near(p.halfWidth ?? Number.NaN, (p.ci.high - p.ci.low) / 2, 'half-width');
  const verdict = p.ci.low > threshold ? 'penalty' : p.ci.high < 0 ? 'better' : p.ci.low > 0 && p.ci.high <= threshold ? 'minor' : 'noise';
  if (p.verdict !== verdict) wrong.push(`verdict ${p.verdict}, expected ${verdict}`);
  if (p.flagged !== (verdict === 'penalty')) wrong.push(`flagged ${p.flagged}`);
  return wrong;
}

test('lab: quick benchmark on a real host and LXC container: both measured, iperf3 above 1 Gbit/s', async (t) => {
  t.timeout(240_000);
  const id = `${process.pid % 100_000}`;
  const [peerNs, hostEnd, peerEnd, vf, container] = [`sxbp${id}`, `sxbh${id}`, `sxbq${id}`, `sxbm${id}`, `sxbench${id}`];
  // A private /29 used only between these interfaces (peer .1, host .2, container .3), one no
  // address or route of this machine uses, so two runs of the suite on one machine do not collide.
  const net = await freeSubnet(Number(id));
  const [peer, hostAddr, containerAddr] = [`${net}.1`, `${net}.2/29`, `${net}.3/29`];
  const work = mkdtempSync(path.join(tmpdir(), 'bench-lab-'));
  const benchDir = path.join(work, 'bench');
  const stateDir = path.join(work, 'state');
  const serverPid = path.join(work, 'iperf3.pid');
  t.teardown(async () => {
    await quietly(['lxc-stop', '-k', '-n', container]);
    await quietly(['lxc-destroy', '-n', container]);
    try {
      process.kill(Number(readFileSync(serverPid, 'utf8')), 'SIGTERM');
    } catch {
      // The server did not start.
    }
    await quietly(['ip', 'netns', 'del', peerNs]);
    await quietly(['ip', 'link', 'del', hostEnd]);
    rmSync(work, { recursive: true, force: true });
  });

  await sh(['mkdir', '-p', benchDir]);
  await sh(['ip', 'netns', 'add', peerNs]);
  await sh(['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peerEnd]);
  await sh(['ip', 'link', 'set', peerEnd, 'netns', peerNs]);
  await sh(['ip', 'addr', 'add', hostAddr, 'dev', hostEnd]);
  await sh(['ip', 'link', 'set', hostEnd, 'up']);
  await sh(['ip', '-n', peerNs, 'addr', 'add', `${peer}/29`, 'dev', peerEnd]);
  await sh(['ip', '-n', peerNs, 'link', 'set', peerEnd, 'up']);
  await sh(['ip', '-n', peerNs, 'link', 'set', 'lo', 'up']);
  await sh(['ip', 'link', 'add', vf, 'link', hostEnd, 'type', 'macvlan', 'mode', 'bridge']);

  await sh(['lxc-create', '-n', container, '-t', 'busybox']);
  const config = `/var/lib/lxc/${container}/config`;
  // Drop the default lxcbr0 network; PID 1 is a sleep, so the template's udhcpc cannot clear the address.
  writeFileSync(config, readFileSync(config, 'utf8').split('\n').filter((l) => !l.startsWith('lxc.net.')).join('\n'));
  appendFileSync(config, [
    '', 'lxc.net.0.type = phys', `lxc.net.0.link = ${vf}`, 'lxc.net.0.name = eth0', 'lxc.net.0.flags = up',
    `lxc.net.0.ipv4.address = ${containerAddr}`, 'lxc.init.cmd = /bin/sleep 100000',
    'lxc.mount.entry = /usr/bin/fio usr/bin/fio none ro,bind,create=file 0 0',
    'lxc.mount.entry = /usr/bin/iperf3 usr/bin/iperf3 none ro,bind,create=file 0 0',
    `lxc.mount.entry = ${benchDir} ${benchDir.slice(1)} none bind,create=dir 0 0`, '',
  ].join('\n'));
  await sh(['lxc-start', '-n', container]);
  await sh(['lxc-wait', '-n', container, '-s', 'RUNNING', '-t', '10']);
  await sh(['ip', 'netns', 'exec', peerNs, 'iperf3', '-s', '-D', '-I', serverPid]);

  // 2 rounds (the fake node's plan now takes 6): this test is about the report of a real run, not its verdicts, and the suite's time.
  const plan = { ...benchPlan({ peer, fio: { directory: benchDir }, repetitions: 2 }, [container]), name: 'lab-host' };
  const ctx = { host: new LocalHost('lab-host'), plan, outputs: {}, log: () => {}, signal: new AbortController().signal, runId: 'lab-run', stateDir };
  t.false((await benchmarkStage.check(ctx)).done);
  await benchmarkStage.apply(ctx);
  const outputs = await benchmarkStage.verify(ctx);
  t.is(outputs.runId, 'lab-run');
  t.true((await benchmarkStage.check(ctx)).done);

  const doc = readBenchmarkResult(stateDir, 'lab-host', 'lab-run')!;
  t.deepEqual(doc.targets, ['host', container]);
  t.is(doc.iperf3.status, 'ran');
  if (doc.iperf3.status === 'ran') {
    for (const run of doc.iperf3.runs) {
      t.true(run.samples.every((s) => s.receivedBps > 1e9), `${run.target} ${run.direction}: ${run.samples.map((s) => (s.receivedBps / 1e9).toFixed(2)).join(', ')} Gbit/s`);
    }
  }
  for (const fioTest of doc.fio.tests) {
    for (const point of fioTest.points) {
      const iops = point.samples.map((s) => s.read.iops + s.write.iops);
      t.true(iops.every((n) => n > 0), `${fioTest.id} ${fioTest.vary}=${point.value} on ${point.target}: ${iops.join(', ')} IOPS`);
    }
  }
  t.is(doc.confidence, 0.95, 'all of the run\'s intervals at once: the Bonferroni level below divides its 0.05');
  t.is(doc.repetitions, 2, 'the half-width check below knows t for 2 first rounds');
  const expected = expectedRounds(doc);
  t.deepEqual(doc.penalties.map((p) => `${p.test} ${p.point} ${p.container} ${p.metric}`), expected.map((e) => e.key), 'one penalty per test, point, container and metric');
  t.true(expected.length > 0);
  const family = expected.filter((e) => e.counted).length;
  t.log(`${expected.length} comparisons reported, ${family} in the family (a bandwidth that is its IOPS counts with them)`);
  for (const [i, p] of doc.penalties.entries()) {
    const e = expected[i];
    if (e) t.deepEqual(penaltyMismatches(p, e, doc.penaltyThreshold, family, doc.repetitions), [], `${e.key}: host ${e.host.join(', ')}; container ${e.lxc.join(', ')}; stored ${JSON.stringify(p)}`);
  }
  t.true(renderReport(doc, 'html').includes('<svg'));
  t.log(renderPenaltySummary(doc));
});
