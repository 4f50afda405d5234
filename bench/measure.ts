// Running a command the benchmark measures: wall time, and for Node processes their peak RSS and
// CPU seconds (from bench/usage-probe.ts, which each Node process of the command reports itself).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentInterruption, TRACKED_CHILD } from '../lab/interrupt.ts';

const PROBE = fileURLToPath(new URL('./usage-probe.ts', import.meta.url));

export interface Usage {
  /** Peak RSS of the largest Node process of the command, MB. */
  peakRssMb: number;
  /** User + system CPU of every Node process of the command, seconds. */
  cpuS: number;
}

export interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Present when the command ran Node processes (they report through the probe). */
  usage?: Usage;
}

export interface MeasureOptions {
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  timeoutMs?: number;
}

/** Sums the probe's lines: the largest peak RSS, all CPU time. Pure. */
export function usageOf(lines: string): Usage | undefined {
  const records = lines
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { maxRssKb: number; userUs: number; systemUs: number });
  if (records.length === 0) return undefined;
  return {
    peakRssMb: Math.max(...records.map((r) => r.maxRssKb)) / 1024,
    cpuS: records.reduce((s, r) => s + r.userUs + r.systemUs, 0) / 1e6,
  };
}

/**
 * Runs argv (no shell) to its end; kills it after timeoutMs. Never rejects for a non-zero exit;
 * rejects once the command's Interruption (lab/interrupt.ts) has stopped it.
 */
export async function measure(argv: readonly string[], options: MeasureOptions = {}): Promise<Measured> {
  const interruption = currentInterruption();
  interruption?.signal.throwIfAborted();
  const dir = mkdtempSync(join(tmpdir(), 'sriov-bench-usage-'));
  const usageFile = join(dir, 'usage.jsonl');
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${PROBE}`].filter(Boolean).join(' ');
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, NODE_OPTIONS: nodeOptions, SRIOV_BENCH_USAGE: usageFile },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(interruption ? TRACKED_CHILD : {}),
  });
  interruption?.track(child, argv);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    const wallMs = performance.now() - started;
    interruption?.signal.throwIfAborted();
    let lines = '';
    try {
      lines = readFileSync(usageFile, 'utf8');
    } catch {
      // no Node process reported
    }
    const usage = usageOf(lines);
    return { code, stdout, stderr, wallMs, ...(usage ? { usage } : {}) };
  } finally {
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}
