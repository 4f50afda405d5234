// Parsers of iperf3 -J and fio --output-format=json, on outputs captured on the development VM
// (iperf3 3.12 between two network namespaces over a veth pair; fio 3.33 on ext4): see
// test/fixtures/bench/README.md.
import test from 'ava';
import { fixture } from '../../helpers/fake-host.ts';
import { parseFio } from '../../../benchmark/run/parse-fio.ts';
import { isServerBusy, parseIperf3 } from '../../../benchmark/run/parse-iperf3.ts';

test('iperf3: a forward run gives receiver and sender bits/s and the retransmits', (t) => {
  const outcome = parseIperf3(fixture('bench/iperf3-forward.json'));
  t.deepEqual(outcome, {
    ok: true,
    reverse: false,
    sample: { receivedBps: 12528267196.285212, sentBps: 12531440327.408026, retransmits: 2844 },
  });
});

test('iperf3: a -R run is recognised as reverse', (t) => {
  const outcome = parseIperf3(fixture('bench/iperf3-reverse.json'));
  t.true(outcome.ok && outcome.reverse);
  t.is(outcome.ok ? outcome.sample.receivedBps : 0, 15476742520.644983);
});

test('iperf3: a refused connection is an error outcome (iperf3 -J exits 0 for it)', (t) => {
  t.deepEqual(parseIperf3(fixture('bench/iperf3-refused.json')), { ok: false, error: 'unable to connect to server: Connection refused' });
});

test('iperf3: a busy server is an error worth retrying, a refused connection is not', (t) => {
  const busy = parseIperf3(fixture('bench/iperf3-busy.json'));
  t.false(busy.ok);
  t.true(!busy.ok && isServerBusy(busy.error));
  const refused = parseIperf3(fixture('bench/iperf3-refused.json'));
  t.true(!refused.ok && !isServerBusy(refused.error));
});

test('iperf3: text that is not JSON names the likely cause', (t) => {
  t.throws(() => parseIperf3('iperf3: error - unable to connect to server: Connection refused\n'), { message: /not JSON \(was -J given\?\)/ });
  t.throws(() => parseIperf3(''), { message: /\(empty\)/ });
});

test('iperf3: a JSON document without the end sums is rejected', (t) => {
  const doc = JSON.parse(fixture('bench/iperf3-forward.json')) as { end: Record<string, unknown> };
  delete doc.end.sum_received;
  t.throws(() => parseIperf3(JSON.stringify(doc)), { message: /sum_sent\/sum_received/ });
});

test('fio: random read gives read IOPS, bytes/s and the mean total latency in ns', (t) => {
  const sample = parseFio(fixture('bench/fio-randread-bs.json'));
  t.deepEqual(sample.read, { iops: 15584.830339, bwBytes: 1021367441, latMeanNs: 254538.079406, ios: 7808 });
  t.deepEqual(sample.write, { iops: 0, bwBytes: 0, latMeanNs: 0, ios: 0 });
});

test('fio: sequential write by queue depth fills the write side', (t) => {
  const sample = parseFio(fixture('bench/fio-seqwrite-512-qd.json'));
  t.is(sample.write.iops, 31283.433134);
  t.is(sample.write.bwBytes, 16017117);
  t.is(sample.read.ios, 0);
});

test('fio: mixed random access fills both sides', (t) => {
  const sample = parseFio(fixture('bench/fio-randrw-4k-threads.json'));
  t.is(sample.read.iops, 16495.00998);
  t.is(sample.write.iops, 17239.520958);
  t.is(sample.write.latMeanNs, 118660.843348);
});

test('fio: all seven captured tests parse', (t) => {
  for (const id of ['seqwrite-512-qd', 'seqwrite-bs', 'randread-4k-threads', 'randread-bs', 'randrw-4k-threads', 'randwrite-4k-threads', 'randwrite-threads']) {
    const sample = parseFio(fixture(`bench/fio-${id}.json`));
    t.true(sample.read.iops + sample.write.iops > 0, id);
  }
});

test('fio 2.1.11 (no total_ios, bw in KiB/s, lat in µs): four jobs summed, latency weighted by iops × runtime, not 0', (t) => {
  const sample = parseFio(fixture('bench/fio-2.1.11-4jobs-no-total-ios.json'));
  t.is(sample.read.iops, 20);
  t.is(sample.read.bwBytes, 4 * 21 * 1024);
  // per job 5 IOPS × ~2120 s: ~10600 I/Os each
  t.is(sample.read.ios, [2127550, 2119748, 2114297, 2126510].reduce((n, ms) => n + Math.round((5 * ms) / 1000), 0));
  t.true(Math.abs(sample.read.latMeanNs - 255_083) < 10, `weighted mean of 255.56, 254.87, 254.48, 255.42 µs: ${sample.read.latMeanNs}`);
  t.deepEqual(sample.write, { iops: 0, bwBytes: 0, latMeanNs: 0, ios: 0 });
});

test('fio without total_ios nor runtime, or a latency with no I/Os to weigh it, is refused', (t) => {
  const doc = JSON.parse(fixture('bench/fio-2.1.11-4jobs-no-total-ios.json')) as { jobs: { read: Record<string, unknown> }[] };
  const noRuntime = structuredClone(doc);
  delete noRuntime.jobs[0]!.read.runtime;
  t.throws(() => parseFio(JSON.stringify(noRuntime)), { message: /jobs\[0\]\.read has neither total_ios nor runtime/ });
  const noIops = structuredClone(doc);
  for (const job of noIops.jobs) job.read.iops = 0;
  t.throws(() => parseFio(JSON.stringify(noIops)), { message: /read reports a latency but no I\/Os/ });
});

test('fio: a note printed before the JSON is skipped', (t) => {
  const text = fixture('bench/fio-psync-note.json');
  t.true(text.startsWith('note: both iodepth'));
  t.is(parseFio(text).write.iops, 793024.875622);
});

test('fio: an error instead of JSON is reported with fio\'s words', (t) => {
  t.throws(() => parseFio(fixture('bench/fio-missing-dir.stdout')), { message: /printed no JSON.*No such file or directory/ });
  t.throws(() => parseFio(''), { message: /\(empty\)/ });
});

test('fio: a failed job (error != 0, here ENOSPC on a full tmpfs) is an error naming the job', (t) => {
  t.throws(() => parseFio(fixture('bench/fio-enospc.json')), { message: 'fio job randread-bs failed with error 28 (ENOSPC)' });
});

test('fio: without --group_reporting the jobs are added up, latency weighted by I/Os', (t) => {
  const doc = JSON.parse(fixture('bench/fio-randrw-4k-threads.json')) as { jobs: unknown[] };
  const one = parseFio(JSON.stringify(doc));
  doc.jobs = [doc.jobs[0], doc.jobs[0]];
  const two = parseFio(JSON.stringify(doc));
  t.is(two.read.iops, 2 * one.read.iops);
  t.is(two.read.ios, 2 * one.read.ios);
  t.true(Math.abs(two.read.latMeanNs - one.read.latMeanNs) < 1e-6);
});

test('fio: fio 2.x fields (lat in µs, bw in KiB/s) are converted', (t) => {
  // The captured 3.33 output rewritten to fio 2.x's field names and units.
  const doc = JSON.parse(fixture('bench/fio-randread-bs.json')) as { jobs: Record<string, Record<string, unknown>>[] };
  const read = doc.jobs[0]!.read!;
  read.lat = { mean: (read.lat_ns as { mean: number }).mean / 1000 };
  delete read.lat_ns;
  delete read.bw_bytes;
  const sample = parseFio(JSON.stringify(doc));
  t.true(Math.abs(sample.read.latMeanNs - 254538.079406) < 1e-6);
  t.is(sample.read.bwBytes, 997429 * 1024);
});
