import test from 'ava';
import { commandLine } from '../../../hosts/quote.ts';
import { cleanupArgv, fioArgv, inTarget, iperf3Argv, whichArgv } from '../../../benchmark/run/commands.ts';
import { estimatedSeconds, fioPointParams, PAPER_PROFILE, QUICK_PROFILE } from '../../../benchmark/run/profiles.ts';

const randreadBs = PAPER_PROFILE.fioTests.find((t) => t.id === 'randread-bs')!;

test('the paper profile has the paper\'s seven fio tests, iperf3 -O 3 -t 20 and four repetitions', (t) => {
  t.deepEqual(PAPER_PROFILE.fioTests.map((f) => `${f.rw}/${f.vary}`), [
    'write/iodepth', 'write/bs', 'randread/numjobs', 'randread/bs', 'randrw/numjobs', 'randwrite/numjobs', 'randwrite/numjobs',
  ]);
  t.deepEqual(PAPER_PROFILE.iperf3, { omit: 3, time: 20 });
  t.is(PAPER_PROFILE.repetitions, 4);
  // Table 1: 512 threads, queue depth 1, block sizes up to 64 kB.
  t.like(randreadBs, { numjobs: 512, iodepth: 1 });
  t.true(randreadBs.values.includes(32 * 1024) && randreadBs.values.includes(64 * 1024));
});

test('quick keeps every test with fewer, shorter points', (t) => {
  t.deepEqual(QUICK_PROFILE.fioTests.map((f) => f.id), PAPER_PROFILE.fioTests.map((f) => f.id));
  t.true(estimatedSeconds(QUICK_PROFILE, 2, true) < 90);
  t.true(estimatedSeconds(PAPER_PROFILE, 2, true) > 3600);
});

test('a point sets the varied parameter and keeps the others', (t) => {
  t.deepEqual(fioPointParams(randreadBs, 32768), { bs: 32768, iodepth: 1, numjobs: 512 });
});

test('fio argv for one point of Table 1', (t) => {
  t.deepEqual(fioArgv(randreadBs, 32768, PAPER_PROFILE.fio, { directory: '/srv/bench', direct: true }), [
    'fio', '--name=randread-bs', '--directory=/srv/bench', '--filename=sriov-lxc-fio.dat', `--size=${4 * 1024 ** 3}`,
    '--rw=randread', '--bs=32768', '--iodepth=1', '--numjobs=512', '--thread', '--group_reporting',
    '--ioengine=libaio', '--direct=1', '--time_based', '--runtime=20000ms', '--ramp_time=3000ms', '--output-format=json',
  ]);
});

test('fio argv: mixed access sets the mix, buffered I/O when O_DIRECT is unsupported, no ramp in quick', (t) => {
  const mixed = QUICK_PROFILE.fioTests.find((f) => f.rw === 'randrw')!;
  const argv = fioArgv(mixed, 4, QUICK_PROFILE.fio, { directory: '/srv/bench', direct: false });
  t.true(argv.includes('--rwmixread=50'));
  t.true(argv.includes('--direct=0'));
  t.true(argv.includes('--numjobs=4'));
  t.false(argv.some((a) => a.startsWith('--ramp_time')));
});

test('inside a container the command runs through lxc-attach', (t) => {
  t.deepEqual(inTarget({ kind: 'container', name: 'centos1' }, ['fio', '--version']), ['lxc-attach', '-n', 'centos1', '--', 'fio', '--version']);
  t.deepEqual(inTarget({ kind: 'host' }, ['fio', '--version']), ['fio', '--version']);
});

test('iperf3 argv: JSON, the profile\'s omit and time, -R for reverse', (t) => {
  t.deepEqual(iperf3Argv('192.168.10.1', PAPER_PROFILE.iperf3, 'forward'), ['iperf3', '-c', '192.168.10.1', '-J', '-O', '3', '-t', '20']);
  t.deepEqual(iperf3Argv('192.168.10.1', PAPER_PROFILE.iperf3, 'reverse').at(-1), '-R');
});

test('the tool lookup passes the name as an argument, never as shell text', (t) => {
  t.is(commandLine(whichArgv("fio'; reboot")), `sh -c 'command -v -- "$1"' sh 'fio'\\''; reboot'`);
});

test('cleanup removes the run\'s private directory only', (t) => {
  t.deepEqual(cleanupArgv('/srv/bench/.sriov-lxc-bench.1UwM9lpTUU'), ['rm', '-rf', '--', '/srv/bench/.sriov-lxc-bench.1UwM9lpTUU']);
});
