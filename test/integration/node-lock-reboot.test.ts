// Issue 24: the node's lock across a reboot longer than the old 600 s staleness. Run A provisions
// a lab node with --reboot-timeout 1800 and announces its deadline before the reboot; the node
// hangs in that reboot (fault reboot-hangs) and A is stopped (SIGSTOP) so the window is certain.
// Time is not waited out: while the node is down its disk is written as elapsed time would leave
// it (the heartbeat's mtime set 700 s back, and in the second case the deadline put in the past),
// in the lab's copy of the node's /var (nodes/NAME/disk/var, the overlay's upper directory, not
// mounted while the node is down). Run B is the same node under another name and state dir.
import test, { type ExecutionContext } from 'ava';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labFault, nodePower } from '../../lab/index.ts';
import { NODE_LOCK_DIR } from '../../engine/node-lock.ts';
import {
  NODE,
  describeRun,
  finished,
  hostReport,
  jsonOf,
  onNode,
  onlyWithoutBenchmark,
  provisionArgs,
  runCli,
  spawnCli,
  waitFor,
  type Lab,
  type ProvisionReport,
} from '../helpers/lab-fixture.ts';
import { derivedInventory, labForTest } from '../helpers/fault-lab.ts';
import type { ChildProcess } from 'node:child_process';

/** The lock directory on the node's disk, as the host sees it while the node is down. */
const lockOnDisk = (lab: Lab): string => join(lab.dir, 'nodes', NODE, 'disk', NODE_LOCK_DIR);

/** The same node under another inventory name ("twin") with the lab's settings. */
const twinArgs = (lab: Lab, stateDir: string, ...extra: string[]): string[] => {
  const inventory = derivedInventory(lab, 'twin', () => undefined);
  const text = readFileSync(inventory, 'utf8').replace(new RegExp(`^  ${NODE}:`, 'm'), '  twin:');
  writeFileSync(inventory, text);
  return ['--inventory', inventory, '--host', 'twin', '--state-dir', stateDir, '--json', ...extra];
};

/** Starts a provision run and stops it (SIGSTOP) once the node hangs in the reboot it asked for. */
async function runIntoHungReboot(t: ExecutionContext, lab: Lab, args: string[]): Promise<{ run: ChildProcess; done: ReturnType<typeof finished> }> {
  await labFault(lab.dir, NODE, 'reboot-hangs', true);
  const run = spawnCli('provision', args);
  const done = finished(run, 900_000);
  t.teardown(async () => {
    if (run.exitCode === null) process.kill(run.pid!, 'SIGCONT');
    await labFault(lab.dir, NODE, 'reboot-hangs', false);
    await done;
  });
  await waitFor('the node to hang in the run\'s reboot', () => (nodePower(lab.dir, NODE)?.phase === 'hung' ? true : undefined), 400_000, 500);
  process.kill(run.pid!, 'SIGSTOP');
  return { run, done };
}

/** What 700 s of silence does to the heartbeat (the old staleness was 600 s). */
function ageHeartbeat(lab: Lab): void {
  const then = Date.now() / 1000 - 700;
  utimesSync(join(lockOnDisk(lab), 'heartbeat'), then, then);
}

test.serial('lab: node lock across a long reboot: the holder\'s announced deadline refuses another run after 600 s of silence; the holder comes back to its own lock and finishes; a lock taken over meanwhile stops it naming the new holder', async (t) => {
  t.timeout(1_500_000);
  const lab = await labForTest(t, 'centos7');
  const args = provisionArgs(lab, ...onlyWithoutBenchmark(), '--reboot-timeout', '1800');

  // 1. A in its reboot wait; B refused, told A's holder and deadline; A finishes on its own lock.
  const a = await runIntoHungReboot(t, lab, args);
  const holder = readFileSync(join(lockOnDisk(lab), 'holder'), 'utf8');
  t.true(holder.includes(`"pid":${a.run.pid}`), holder);
  const deadline = Number(readFileSync(join(lockOnDisk(lab), 'reboot-until'), 'utf8'));
  const now = Date.now() / 1000;
  t.true(deadline > now + 1700 && deadline <= now + 1801, `the announced deadline is now + --reboot-timeout: ${deadline - now} s`);
  ageHeartbeat(lab);
  await labFault(lab.dir, NODE, 'reboot-hangs', false);
  await waitFor('the node to come back', () => (nodePower(lab.dir, NODE)?.phase === 'up' ? true : undefined), 180_000, 500);

  const b = await runCli('provision', twinArgs(lab, join(lab.dir, 'state-twin'), '--only', 'bios-verify'));
  t.is(b.code, 3, describeRun(b));
  const refused = jsonOf<ProvisionReport>(b).hosts.find((h) => h.host === 'twin');
  t.is(refused?.status, 'locked');
  t.regex(refused?.error?.message ?? '', new RegExp(`^twin is being worked on by pid ${a.run.pid} on .*; it rebooted the node and may be silent for \\d+ s more \\(its announced deadline: ${new Date(deadline * 1000).toISOString().replace(/[.]/g, '\\.')} by the node's clock\\)`));
  t.regex(await onNode(lab, ['cat', `${NODE_LOCK_DIR}/holder`]), new RegExp(`"pid":${a.run.pid}`), 'B took nothing');

  process.kill(a.run.pid!, 'SIGCONT');
  const aDone = await a.done;
  t.is(aDone.code, 0, `A finds its own lock on return and finishes: ${describeRun(aDone)}`);
  t.is(hostReport(aDone).reboots, 1);
  t.is(await onNode(lab, ['sh', '-c', `test -e ${NODE_LOCK_DIR} && echo held || echo free`]), 'free\n', 'released at the end of A');

  // 2. Another reboot (a new kernel param), and this time the deadline passes too: B takes the
  // stale lock and holds it (stopped) while A comes back; A stops, naming B.
  const again = derivedInventory(lab, 'again', (host) => {
    host.kernelParams = { nmi_watchdog: '0' };
  });
  const a2 = await runIntoHungReboot(t, lab, ['--inventory', again, '--host', NODE, '--state-dir', lab.stateDir, '--json', ...onlyWithoutBenchmark(), '--reboot-timeout', '1800']);
  t.true(readFileSync(join(lockOnDisk(lab), 'holder'), 'utf8').includes(`"pid":${a2.run.pid}`));
  ageHeartbeat(lab);
  writeFileSync(join(lockOnDisk(lab), 'reboot-until'), `${Math.floor(Date.now() / 1000) - 100}\n`);
  await labFault(lab.dir, NODE, 'reboot-hangs', false);
  await waitFor('the node to come back', () => (nodePower(lab.dir, NODE)?.phase === 'up' ? true : undefined), 180_000, 500);

  const b2 = spawnCli('provision', twinArgs(lab, join(lab.dir, 'state-twin'), '--only', 'bios-verify'));
  const b2Done = finished(b2, 300_000);
  t.teardown(async () => {
    if (b2.exitCode === null) process.kill(b2.pid!, 'SIGCONT');
    await b2Done;
  });
  await waitFor('B to take over the lock', async () => ((await onNode(lab, ['sh', '-c', `cat ${NODE_LOCK_DIR}/holder 2>/dev/null || true`])).includes(`"pid":${b2.pid}`) ? true : undefined), 120_000, 50);
  process.kill(b2.pid!, 'SIGSTOP');
  process.kill(a2.run.pid!, 'SIGCONT');
  const lost = await a2.done;
  // The engine reports the stage that found the lock gone as failed (exit 1), as run.test.ts has it.
  t.is(lost.code, 1, describeRun(lost));
  const report = hostReport(lost);
  t.is(report.status, 'failed', describeRun(lost));
  t.is(report.failedStage, 'reboot');
  t.deepEqual(report.stages.filter((s) => s.status !== 'done' && s.status !== 'skipped').map((s) => s.id), ['reboot'], 'nothing after the reboot ran');
  t.regex(report.error?.message ?? '', new RegExp(`^${NODE}: this run \\(\\S+\\) no longer holds the node's lock ${NODE_LOCK_DIR}: it is held by pid ${b2.pid} on `));
  process.kill(b2.pid!, 'SIGCONT');
  const b2Result = await b2Done;
  t.is(b2Result.code, 0, describeRun(b2Result));
  t.regex(b2Result.stderr + b2Result.stdout, new RegExp(`took over the node's stale lock of pid ${a2.run.pid} .*: its last heartbeat was 7\\d\\d s ago and the reboot it announced was due back 1\\d\\d s ago`));
  t.is(await onNode(lab, ['sh', '-c', `test -e ${NODE_LOCK_DIR} && echo held || echo free`]), 'free\n', 'B released the lock at its end');
});
