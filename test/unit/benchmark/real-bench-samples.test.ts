// The benchmark's parsers on outputs captured on real machines by others
// (test/fixtures/real/SOURCES.md); expected values read off the files.
import test from 'ava';
import { fixture } from '../../helpers/fake-host.ts';
import { parseFio } from '../../../benchmark/run/parse-fio.ts';
import { parseIperf3 } from '../../../benchmark/run/parse-iperf3.ts';

const real = (path: string): string => fixture(`real/${path}`);

test('real iperf 3.0.11 TCP: sender and receiver rates, retransmits 0', (t) => {
  t.deepEqual(parseIperf3(real('iperf3/iperf-3.0.11-tcp-forward.json')), {
    ok: true,
    reverse: false,
    sample: { receivedBps: 934268000, sentBps: 935992000, retransmits: 0 },
  });
});

test('real iperf 3.9 TCP with -O 3 (GCP to IBM): the summed rates and 752 retransmits', (t) => {
  t.deepEqual(parseIperf3(real('iperf3/iperf-3.9-tcp-omit3-gcp-to-ibm.json')), {
    ok: true,
    reverse: false,
    sample: { receivedBps: 1822789751.4320772, sentBps: 1823487704.8553271, retransmits: 752 },
  });
});

// The benchmark runs TCP only; a UDP result has sum_sent/sum_received too, with other meanings.
test('real iperf 3.14 UDP -R is refused, naming the protocol', (t) => {
  t.throws(() => parseIperf3(real('iperf3/iperf-3.14-udp-reverse-macos.json')), {
    message: 'iperf3 JSON: a UDP test (start.test_start.protocol); the benchmark reads TCP tests only (iperf3 without -u)',
  });
});

test('real fio 2.1.11, four random-read jobs without group_reporting: summed, latency weighted by iops × runtime', (t) => {
  const sample = parseFio(real('fio/fio-2.1.11-4jobs-no-total_ios-no-group_reporting.json'));
  // iops 5 per job; bw 21 KiB/s per job; I/Os 5 × runtime: 10638 + 10599 + 10571 + 10633.
  t.is(sample.read.iops, 20);
  t.is(sample.read.bwBytes, 86016);
  t.is(sample.read.ios, 42441);
  // (255.56 × 10638 + 254.87 × 10599 + 254.48 × 10571 + 255.42 × 10633) / 42441 µs = 255.0836 µs
  t.true(Math.abs(sample.read.latMeanNs - 255083.6) < 1, String(sample.read.latMeanNs));
  t.deepEqual(sample.write, { iops: 0, bwBytes: 0, latMeanNs: 0, ios: 0 });
});
