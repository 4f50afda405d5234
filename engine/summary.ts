// The end-of-run text for a person: a table of hosts and, for each failure, what failed and the fix.
import { printable } from '../core/terminal-text.ts';
import type { HostResult } from './run.ts';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function renderSummary(results: readonly HostResult[]): string {
  const rows = [['host', 'result', 'failed stage', 'reboots', 'changed', 'duration']];
  for (const r of results) {
    const changed = r.stages.filter((s) => s.changed).map((s) => s.id);
    rows.push([r.host, r.status, r.failedStage ?? '-', String(r.reboots), changed.length ? changed.join(',') : '-', seconds(r.durationMs)]);
  }
  const out = [table(rows)];
  for (const r of results) {
    if (!r.error) continue;
    out.push('', `${r.host}${r.failedStage ? ` — ${r.failedStage}` : ''}: ${r.error.message}`);
    if (r.error.command) out.push(`  command: ${r.error.command}${r.error.code !== undefined ? ` (exit ${r.error.code})` : ''}`);
    if (r.error.stderrTail) out.push(...r.error.stderrTail.split('\n').map((l) => `  | ${l}`));
    if (r.error.hint) out.push(`  hint: ${r.error.hint}`);
  }
  // Messages, commands and stderr tails quote what nodes printed.
  return printable(out.join('\n'));
}

/** The --json document: {"hosts":[{"host","ok","reboots","stages":[...],"outputs":{...}}]}. */
export function jsonReport(results: readonly HostResult[]): string {
  return JSON.stringify(
    {
      hosts: results.map((r) => ({
        host: r.host,
        ok: r.ok,
        status: r.status,
        reboots: r.reboots,
        durationMs: r.durationMs,
        ...(r.roundTrips !== undefined ? { roundTrips: r.roundTrips } : {}),
        ...(r.connections !== undefined ? { connections: r.connections } : {}),
        ...(r.connectFailures !== undefined ? { connectFailures: r.connectFailures } : {}),
        ...(r.failedStage ? { failedStage: r.failedStage } : {}),
        ...(r.error ? { error: r.error } : {}),
        stages: r.stages.map((s) => ({
          id: s.id,
          status: s.status,
          changed: s.changed,
          attempts: s.attempts,
          durationMs: s.durationMs,
          error: s.error ?? null,
          ...(s.reason ? { reason: s.reason } : {}),
          ...(s.plan && !s.plan.done ? { plan: s.plan.plan, diffs: s.plan.diffs ?? [] } : {}),
        })),
        outputs: r.outputs,
      })),
    },
    null,
    2,
  );
}
