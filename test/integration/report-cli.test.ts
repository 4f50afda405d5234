// workflows/report.ts as an operator runs it: `npx zx workflows/report.ts --host node1 ...`.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { CSV_COLUMNS } from '../../benchmark/report/csv.ts';
import { writeBenchmarkResult } from '../../benchmark/results/store.ts';
import { quickDocument } from '../fixtures/bench/fake-node.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

async function report(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(ROOT, 'node_modules/.bin/zx'), ['workflows/report.ts', ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function stateWithTwoRuns(t: ExecutionContext): Promise<string> {
  const { doc, stateDir } = await quickDocument();
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  writeBenchmarkResult(stateDir, { ...doc, runId: '2026-11-01T08-00-00Z-0001', startedAt: '2026-11-01T08:00:00.000Z' });
  return stateDir;
}

test('markdown of the latest run on stdout', async (t) => {
  const stateDir = await stateWithTwoRuns(t);
  const { code, stdout } = await report(['--host', 'node1', '--state-dir', stateDir]);
  t.is(code, 0);
  t.true(stdout.startsWith('# Benchmark: node1, host vs LXC\n\nRun 2026-11-24T20-17-00Z-a1b2,'));
});

test('--out writes the report and prints the penalty summary; --compare previous adds the change', async (t) => {
  const stateDir = await stateWithTwoRuns(t);
  const out = path.join(stateDir, 'report.csv');
  const { code, stdout } = await report(['--host', 'node1', '--state-dir', stateDir, '--format', 'csv', '--out', out]);
  t.is(code, 0);
  t.is(readFileSync(out, 'utf8').split('\n')[0], CSV_COLUMNS.join(','));
  t.regex(stdout, /^benchmark node1: run 2026-11-24T20-17-00Z-a1b2, profile quick/);
  t.true(stdout.endsWith(`report: ${out}\n`));
  const html = path.join(stateDir, 'report.html');
  t.is((await report(['--host', 'node1', '--state-dir', stateDir, '--format', 'html', '--compare', 'previous', '--out', html])).code, 0);
  t.regex(readFileSync(html, 'utf8'), /<h2>Change since run 2026-11-01T08-00-00Z-0001<\/h2>/);
});

test('an unknown host or run is a usage error (exit 2) with a hint', async (t) => {
  const stateDir = await stateWithTwoRuns(t);
  const host = await report(['--host', 'node9', '--state-dir', stateDir]);
  t.is(host.code, 2);
  t.regex(host.stderr, /^report: no benchmark results for host node9 in .*\nhint: run the benchmark stage first/);
  const runId = await report(['--host', 'node1', '--state-dir', stateDir, '--run', 'nope']);
  t.is(runId.code, 2);
  t.regex(runId.stderr, /hint: runs with results: 2026-11-01T08-00-00Z-0001/);
  t.is((await report(['--host', 'node1', '--format', 'pdf'])).code, 2);
});

test('--help', async (t) => {
  const { code, stdout } = await report(['--help']);
  t.is(code, 0);
  t.regex(stdout, /^Usage: npx zx workflows\/report.ts --host NAME/);
});
