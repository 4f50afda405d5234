// Parser of `fio --output-format=json` (fio 3.x; 2.x field names and missing fields handled where
// they differ).
// Pure: text in, one sample out. fio may print notes ("note: both iodepth >= 1 and synchronous I/O
// engine ...") on stdout before the JSON; they are skipped.
import { constants } from 'node:os';
import type { FioDirectionSample, FioSample } from '../results/results.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(object: Json, key: string): number | undefined {
  const value = object[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The JSON document in fio's stdout: from the first line that opens an object. */
function jsonPart(text: string): string {
  if (text.startsWith('{')) return text;
  const at = text.indexOf('\n{');
  if (at < 0) {
    const start = text.trim().slice(0, 200);
    throw new Error(`fio printed no JSON (was --output-format=json given?): ${start === '' ? '(empty)' : JSON.stringify(start)}`);
  }
  return text.slice(at + 1);
}

function direction(job: Json, name: 'read' | 'write', where: string): FioDirectionSample {
  const side = job[name];
  if (!isObject(side)) throw new Error(`fio JSON: ${where} has no "${name}" section`);
  const iops = num(side, 'iops');
  // bw_bytes since fio 3.x; before that only bw in KiB/s.
  const bwKiB = num(side, 'bw');
  const bwBytes = num(side, 'bw_bytes') ?? (bwKiB === undefined ? undefined : bwKiB * 1024);
  // lat_ns (ns) since fio 3.0; fio 2.x had lat in µs.
  const latNs = isObject(side.lat_ns) ? num(side.lat_ns, 'mean') : undefined;
  const latUs = isObject(side.lat) ? num(side.lat, 'mean') : undefined;
  const latMeanNs = latNs ?? (latUs === undefined ? undefined : latUs * 1000);
  if (iops === undefined || bwBytes === undefined || latMeanNs === undefined) {
    throw new Error(`fio JSON: ${where}.${name} lacks iops, bw_bytes or lat_ns.mean`);
  }
  // total_ios since fio 2.1.14 (stat.c); before, the count is iops × runtime (ms), which weighs a
  // job's mean latency as well (CentOS 7's EPEL had fio 2.x).
  const runtimeMs = num(side, 'runtime');
  const ios = num(side, 'total_ios') ?? (runtimeMs === undefined ? undefined : Math.round((iops * runtimeMs) / 1000));
  if (ios === undefined) {
    throw new Error(`fio JSON: ${where}.${name} has neither total_ios nor runtime: its latency cannot be weighed against the other jobs'`);
  }
  return { iops, bwBytes, latMeanNs, ios };
}

/** Sums jobs (one with --group_reporting); latency is the mean weighted by completed I/Os. */
function combine(parts: FioDirectionSample[], name: string): FioDirectionSample {
  const ios = parts.reduce((n, p) => n + p.ios, 0);
  if (ios === 0 && parts.some((p) => p.latMeanNs > 0)) {
    throw new Error(`fio JSON: ${name} reports a latency but no I/Os to weigh it by (total_ios, or iops and runtime, are 0)`);
  }
  const latMeanNs = ios > 0 ? parts.reduce((n, p) => n + p.latMeanNs * p.ios, 0) / ios : 0;
  return {
    iops: parts.reduce((n, p) => n + p.iops, 0),
    bwBytes: parts.reduce((n, p) => n + p.bwBytes, 0),
    latMeanNs,
    ios,
  };
}

export function parseFio(text: string): FioSample {
  let data: unknown;
  try {
    data = JSON.parse(jsonPart(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new Error(`fio output is not valid JSON: ${error.message}`);
    throw error;
  }
  if (!isObject(data) || !Array.isArray(data.jobs) || data.jobs.length === 0) throw new Error('fio JSON: no "jobs"');
  const jobs = data.jobs.map((job: unknown, i: number) => {
    if (!isObject(job)) throw new Error(`fio JSON: jobs[${i}] is not an object`);
    const error = num(job, 'error') ?? 0;
    if (error !== 0) {
      const errno = Object.entries(constants.errno).find(([, n]) => n === error)?.[0];
      throw new Error(`fio job ${String(job.jobname ?? i)} failed with error ${error}${errno ? ` (${errno})` : ''}`);
    }
    return { read: direction(job, 'read', `jobs[${i}]`), write: direction(job, 'write', `jobs[${i}]`) };
  });
  return { read: combine(jobs.map((j) => j.read), 'read'), write: combine(jobs.map((j) => j.write), 'write') };
}
