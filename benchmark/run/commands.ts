// argv builders for the benchmark tools. Nothing here runs anything: the runner hands these arrays
// to Host.exec, which quotes every element.
import { fioPointParams } from './profiles.ts';
import type { FioTest, FioTiming, Iperf3Profile } from './profiles.ts';
import type { BenchTarget } from '../results/results.ts';

/** The one file every fio test reads and writes, inside the run's private directory. */
const FIO_FILE = 'sriov-lxc-fio.dat';
const PROBE_FILE = 'sriov-lxc-fio.probe';

export interface FioIoOptions {
  directory: string;
  /** O_DIRECT (bypass the page cache, like the paper's raw-device runs) when the file system allows it. */
  direct: boolean;
}

/** Runs argv on the target: as is on the host, through lxc-attach inside a container. */
export function inTarget(target: BenchTarget, argv: readonly string[]): string[] {
  if (target.kind === 'host') return [...argv];
  return ['lxc-attach', '-n', target.name, '--', ...argv];
}

/** Exits 0 and prints the path when `tool` is on the PATH (POSIX sh, also busybox). */
export function whichArgv(tool: string): string[] {
  return ['sh', '-c', 'command -v -- "$1"', 'sh', tool];
}

/** One point of a fio test: the test's parameters with the varied one set to `value`; JSON on stdout. */
export function fioArgv(test: FioTest, value: number, timing: FioTiming, io: FioIoOptions): string[] {
  const { bs, iodepth, numjobs } = fioPointParams(test, value);
  const argv = [
    'fio',
    `--name=${test.id}`,
    `--directory=${io.directory}`,
    `--filename=${FIO_FILE}`,
    `--size=${timing.sizeBytes}`,
    `--rw=${test.rw}`,
    `--bs=${bs}`,
    `--iodepth=${iodepth}`,
    `--numjobs=${numjobs}`,
    '--thread',
    '--group_reporting',
    '--ioengine=libaio',
    `--direct=${io.direct ? 1 : 0}`,
    '--time_based',
    `--runtime=${timing.runtimeMs}ms`,
  ];
  if (test.rw === 'randrw') argv.push('--rwmixread=50');
  if (timing.rampMs > 0) argv.push(`--ramp_time=${timing.rampMs}ms`);
  argv.push('--output-format=json');
  return argv;
}

/** A tiny O_DIRECT write: fails (EINVAL) on file systems without O_DIRECT support. */
export function directProbeArgv(directory: string): string[] {
  return [
    'fio', '--name=direct-probe', `--directory=${directory}`, `--filename=${PROBE_FILE}`,
    '--size=64k', '--bs=4k', '--rw=write', '--ioengine=libaio', '--direct=1', '--output-format=json',
  ];
}

/** What mktemp -d completes: the private directory of one benchmark run in the benchmark directory. */
export const WORK_DIR_PREFIX = '.sriov-lxc-bench.';
/**
 * Makes the run's private directory in the benchmark directory (which the containers share, and
 * others may write): mktemp -d, so a fresh name nobody could plant, created 0700 by root; prints
 * its path, our uid and what `stat` (no link followed) says of it, for workDirProblem to check.
 * A benchmark directory everyone can write that is not sticky is refused: anyone could rename our
 * directory away and put a link in its place (exit 3).
 */
export const WORK_DIR_SCRIPT = [
  'm=$(stat -L -c %a -- "$1") || exit',
  'if [ $(( 0$m & 2 )) -ne 0 ] && ! [ -k "$1" ]; then echo "$1 is writable by everyone (mode $m) and not sticky" >&2; exit 3; fi',
  `d=$(mktemp -d "$1/${WORK_DIR_PREFIX}XXXXXXXXXX") || exit`,
  "printf '%s\\n' \"$d\"",
  'id -u',
  "exec stat -c '%F|%u|%a' -- \"$d\"",
].join('\n');

export function workDirArgv(directory: string): string[] {
  return ['sh', '-c', WORK_DIR_SCRIPT, 'sh', directory];
}

/** Removes the run's private directory (the test file in it can be GiB large). */
export function cleanupArgv(workDir: string): string[] {
  return ['rm', '-rf', '--', workDir];
}

export type Iperf3Direction = 'forward' | 'reverse';

/**
 * iperf3 client against the peer; `reverse` is -R (the server sends). Only options iperf3 3.1
 * (CentOS 7's, the paper's containers) knows: a hung connect is ended by the exec timeout.
 */
export function iperf3Argv(peer: string, profile: Iperf3Profile, direction: Iperf3Direction): string[] {
  const argv = ['iperf3', '-c', peer, '-J', '-O', String(profile.omit), '-t', String(profile.time)];
  if (direction === 'reverse') argv.push('-R');
  return argv;
}
