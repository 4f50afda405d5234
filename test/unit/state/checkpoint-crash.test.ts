import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openCheckpoint, readCheckpoint } from '../../../state/checkpoint.ts';
import { hostDir } from '../../../state/state-dir.ts';

const writer = fileURLToPath(new URL('../../fixtures/state/checkpoint-writer.ts', import.meta.url));
const KILLS = 20;

test('checkpoint writes are atomic: kill -9 at random moments always leaves a valid file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriov-lxc-crash-'));
  const children = new Set<ReturnType<typeof spawn>>();
  t.teardown(() => {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const runIds = new Set<string>();
  let leftoversSeen = 0;
  for (let i = 0; i < KILLS; i++) {
    const child = spawn(process.execPath, [writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    const exited = once(child, 'exit');
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    t.is(chunk.toString(), 'ready\n');
    await sleep(Math.random() * 60);
    child.kill('SIGKILL');
    const [, signal] = (await exited) as [number | null, string | null];
    children.delete(child);
    t.is(signal, 'SIGKILL');

    // The file as the killed writer left it: parses and passes the schema (readCheckpoint throws otherwise).
    const checkpoint = readCheckpoint(dir, 'node1');
    t.truthy(checkpoint, `kill ${i + 1}: no checkpoint`);
    runIds.add(checkpoint!.runId);
    leftoversSeen += fs.readdirSync(hostDir(dir, 'node1')).filter((name) => name.includes('.tmp-')).length;
  }
  // Every run got as far as recording itself, so each kill hit a writer in its loop.
  t.is(runIds.size, KILLS);
  // A later open cleans what a kill may have left (a temp file of the write in flight).
  openCheckpoint(dir, 'node1', 'plan-hash');
  t.deepEqual(fs.readdirSync(hostDir(dir, 'node1')), ['checkpoint.json']);
  t.log(`temp files left by ${KILLS} kills: ${leftoversSeen}`);
});
