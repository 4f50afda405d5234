#!/usr/bin/env -S npx zx
// Entry: a hosts × stages table from the checkpoints in the state dir (no host is contacted).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCheckpoint } from '../state/checkpoint.ts';
import { resolveStateDir } from '../state/state-dir.ts';
import type { HostCheckpoint } from '../state/types.ts';
import { PROVISION_STAGES } from './provision-workflow.ts';
import type { Stage } from '../engine/stage.ts';
import { TEARDOWN_STAGES } from './teardown-workflow.ts';
import { scriptArgs } from '../cli/script-args.ts';
import { SriovLxcError } from '../core/errors.ts';
import { printable } from '../core/terminal-text.ts';

const HELP = `Usage: npx zx workflows/status.ts [--host H] [--teardown] [--json] [--state-dir DIR] [--local]

Shows every host's stages as the checkpoints in the state dir say (no host is contacted).
  --host H          only this host (repeat for more)
  --teardown        the stages of teardown instead of provision's
  --json            one JSON document: {"stateDir", "hosts": [{"host", "runId", "updatedAt", "stages": [...]}]}
  --state-dir DIR   as for provision.ts (env SRIOV_LXC_STATE_DIR)
  --local           the node's own state dir, /var/lib/sriov-lxc
Exit codes: 0 shown, 2 usage error or an unreadable checkpoint.
`;

const MARK: Record<string, string> = { done: 'done', failed: 'FAILED', running: 'running', rebooting: 'rebooting', pending: '-' };

function hostNames(stateDir: string, wanted: string[]): string[] {
  const dir = join(stateDir, 'hosts');
  const all = existsSync(dir) ? readdirSync(dir).sort() : [];
  return wanted.length > 0 ? wanted : all;
}

function row(stages: readonly Stage[], cp: HostCheckpoint | undefined, host: string): string[] {
  return [host, ...stages.map((s) => MARK[cp?.stages[s.id]?.status ?? 'pending'] ?? '?'), cp?.updatedAt.replace('T', ' ').slice(0, 19) ?? 'never run'];
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { host: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'state-dir': { type: 'string' }, local: { type: 'boolean' }, teardown: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const stateDir = resolveStateDir({ flag: values['state-dir'], local: values.local ?? false });
  const stages = values.teardown ? TEARDOWN_STAGES : PROVISION_STAGES;
  const hosts = hostNames(stateDir, values.host ?? []);
  const checkpoints = hosts.map((h) => ({ host: h, cp: readCheckpoint(stateDir, h) }));
  if (values.json) {
    const doc = {
      stateDir,
      hosts: checkpoints.map(({ host, cp }) => ({
        host,
        runId: cp?.runId ?? null,
        updatedAt: cp?.updatedAt ?? null,
        stages: stages.map((s) => {
          const r = cp?.stages[s.id];
          return { id: s.id, status: r?.status ?? 'pending', attempts: r?.attempts ?? 0, changed: r?.changed ?? null, finishedAt: r?.finishedAt ?? null, error: r?.error ?? null };
        }),
      })),
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  if (hosts.length === 0) {
    console.log(`no host has a checkpoint in ${stateDir}`);
    return 0;
  }
  const rows = [['host', ...stages.map((s) => s.id), 'updated'], ...checkpoints.map(({ host, cp }) => row(stages, cp, host))];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  for (const { host, cp } of checkpoints) {
    for (const s of stages) {
      const e = cp?.stages[s.id]?.error;
      // Messages quote what the node printed.
      if (cp?.stages[s.id]?.status === 'failed' && e) console.log(printable(`\n${host} — ${s.id}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`));
    }
  }
  console.log(`\nstate: ${stateDir}`);
  return 0;
}

try {
  process.exitCode = main(scriptArgs(import.meta.url));
} catch (error) {
  const e = error as SriovLxcError;
  process.stderr.write(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
  process.exitCode = 2;
}
