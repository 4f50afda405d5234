// argv builders for the benchmark tools. Nothing here runs anything: the runner hands these arrays
// to Host.exec, which quotes every element.
import { posix } from 'node:path';
import { fioPointParams } from './profiles.ts';
import type { FioTest, FioTiming, Iperf3Profile } from './profiles.ts';
import type { BenchTarget } from './results.ts';

/** The one file every fio test reads and writes, inside the benchmark directory. */
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

/** Removes the benchmark's files from the directory (the test file can be GiB large). */
export function cleanupArgv(directory: string): string[] {
  return ['rm', '-f', '--', posix.join(directory, FIO_FILE), posix.join(directory, PROBE_FILE)];
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
