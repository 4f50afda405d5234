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
import { computePenalties } from '../../benchmark/stats/analysis.ts';
import { renderReport } from '../../benchmark/report/render.ts';
import { benchmarkStage } from '../../tasks/benchmark.ts';
import { readBenchmarkResult } from '../../benchmark/results/store.ts';
import { renderPenaltySummary } from '../../benchmark/report/summary.ts';
import { benchPlan } from '../fixtures/bench/fake-node.ts';

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
  t.deepEqual(doc.penalties, computePenalties(doc));
  t.true(renderReport(doc, 'html').includes('<svg'));
  t.log(renderPenaltySummary(doc));
});
