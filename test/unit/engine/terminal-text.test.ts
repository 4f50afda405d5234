// Issue 17 (12): a node's error output with escape sequences (title, clipboard, cursor moves, "\r")
// was printed as-is in the listr2 tree and the summary, next to a forged "node1 ok".
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Stage } from '../../../engine/stage.ts';
import { CommandError } from '../../../core/errors.ts';
import { runWorkflow } from '../../../engine/run.ts';
import { renderSummary } from '../../../engine/summary.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { FakeHost } from '../../helpers/fake-host.ts';

const ESC = '\x1b';
// What a hostile node prints: a window title, a clipboard write, cursor up + erase line, a forged
// green "ok" line, and a carriage return that overwrites the real line.
const HOSTILE = `${ESC}]0;pwned-title\x07${ESC}]52;c;cm0gLXJmIH4=\x07real error${ESC}[1A${ESC}[2K${ESC}[32mnode1 ok${ESC}[0m\rforged`;
const ATTACKS = [/\x1b\]/, /\x07/, /\x1b\[1A/, /\x1b\[2K/, /\r/, /pwned-title/, /cm0gLXJmIH4=/];

const stages: Stage[] = [
  {
    id: 'a',
    title: 'stage a',
    inputs: () => 'a',
    async check(ctx) {
      ctx.log(`node says: ${HOSTILE}`);
      return { done: true, reason: `found ${HOSTILE}` };
    },
    async apply() {},
    async verify() {
      return {};
    },
  },
  {
    id: 'b',
    title: 'stage b',
    inputs: () => 'b',
    async check() {
      return { done: false, plan: ['make b'] };
    },
    async apply() {
      throw new CommandError(`mount failed: ${HOSTILE}`, { command: 'mount x', code: 32, stderrTail: HOSTILE, hint: `see ${HOSTILE}` });
    },
    async verify() {
      return {};
    },
  },
];

test.serial('the task tree and the summary show node text without escape sequences or control characters', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sriov-escape-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => (printed.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (printed.push(String(chunk)), true)) as typeof process.stderr.write;
  let results;
  try {
    results = await runWorkflow({
      plans: parseInventory('hosts:\n  node1: { address: 127.0.0.1, pfs: [{ name: eth0, vfs: 1 }] }\n', '/tmp/inventory.yaml').hosts,
      workflow: { stages },
      stateDir,
      runId: randomUUID(),
      selection: {},
      dryRun: false,
      concurrency: 1,
      renderer: 'verbose',
      timings: { stage: { retries: 0, minTimeout: 1, maxTimeout: 1 }, settle: { retries: 0, minTimeout: 1, maxTimeout: 1 }, rebootReturn: { retries: 0, minTimeout: 1, maxTimeout: 1 } },
      rebootBudget: 0,
      signal: new AbortController().signal,
      // A node that runs every command (exit 0, nothing printed).
      openHost: () => new FakeHost('node1').on(() => true, {}),
      command: 'test',
      warn: () => {},
    });
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  const tree = printed.join('');
  t.regex(tree, /real error/, 'the tree shows the failure');
  t.regex(tree, /node says: real error/, 'the tree shows the log line');
  const summary = renderSummary(results);
  t.regex(summary, /node1 — b: mount failed: real errornode1 okforged/);
  for (const attack of ATTACKS) {
    t.false(attack.test(tree), `tree: ${attack}`);
    t.false(attack.test(summary), `summary: ${attack}`);
  }
});
