// Crash safety (issue 6, "nothing lost"): the controller killed with SIGKILL at every stage
// boundary and in the middle of every apply, each time followed by the same command again. The
// node must end exactly as a node provisioned by one uninterrupted run (a second lab, run at the
// same time), with as many boots and with its containers created once.
//
// One lineage of runs on one node: each run is killed at the next point, so every later run
// resumes from what the killed one left (checkpoint `running`, `rebooting`, half-applied
// stages). The points are taken from the journal (`stage-apply`, written right after `running`)
// and the checkpoint (`done`).
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { nodePower } from '../../lab/index.ts';
import {
  NODE,
  WITHOUT_BENCHMARK,
  assertProvisioned,
  allVfMacs,
  bootCount,
  describeRun,
  execOnNode,
  finished,
  hostReport,
  onNode,
  onlyWithoutBenchmark,
  plannedMacs,
  provisionArgs,
  readCheckpointFile,
  runCli,
  useLab,
  waitFor,
  type Lab,
} from '../helpers/lab-fixture.ts';
import { atStage, journal, nodeSnapshot, nodeText, runStoppedAt, snapshotDifferences, type RunView, type StopPoint } from '../helpers/fault-lab.ts';
import { PROVISION_STAGES } from '../../workflows/provision-workflow.ts';
import { startSshd } from '../helpers/sshd.ts';

const reference = useLab(test, 'centos7');
const crashed = useLab(test, 'centos7');

/**
 * Every stage boundary and the middle of every apply, in pipeline order; and, for the stage that
 * reboots, the wait for the node. `spawnBoot` is the node's boot when the current run started.
 */
function killPoints(lab: Lab, spawnBoot: () => string | undefined): StopPoint[] {
  const rebooting = PROVISION_STAGES.filter((s) => s.reboots).map((s) => s.id);
  return WITHOUT_BENCHMARK.flatMap((stage): StopPoint[] => [
    atStage.applying(stage),
    ...(rebooting.includes(stage)
      ? [{
          title: `while ${stage} waits for the node to come back`,
          when: () => {
            const power = nodePower(lab.dir, NODE);
            return power !== undefined && (power.phase !== 'up' || power.bootId !== spawnBoot());
          },
          // The run found the reboot done already (asked for by the run killed before it).
          gone: (v: RunView) => v.checkpoint?.stages[stage]?.status === 'done',
        }]
      : []),
    atStage.done(stage),
  ]);
}

/** Until the node is up and quiet: a reboot the killed run asked for has happened. */
async function settle(lab: Lab, rebootMayBePending: boolean): Promise<void> {
  // The detached reboot fires 2 s after it is asked for; give it that and the lab's boot delay.
  if (rebootMayBePending) await delay(5000);
  await waitFor(`${NODE} to be up`, () => (nodePower(lab.dir, NODE)?.phase === 'up' ? true : undefined), 90_000);
}

function statuses(lab: Lab): string {
  const stages = readCheckpointFile(lab.stateDir)?.stages ?? {};
  return WITHOUT_BENCHMARK.map((id) => `${id}=${stages[id]?.status ?? '-'}`).join(' ');
}

test.serial('lab: crash: SIGKILL of the controller at every stage boundary and mid-apply; each re-run resumes and the node ends as after one uninterrupted run', async (t) => {
  t.timeout(480_000);
  const args = (lab: Lab) => provisionArgs(lab, ...onlyWithoutBenchmark());
  const uninterrupted = runCli('provision', args(reference()), 300_000);

  const lab = crashed();
  const bootsAtStart = bootCount(lab);
  let spawnBoot: string | undefined;
  const points = killPoints(lab, () => spawnBoot);
  const killedAt: string[] = [];
  const passed: string[] = [];
  let markers: string[] = [];
  while (killedAt.length + passed.length < points.length) {
    spawnBoot = nodePower(lab.dir, NODE)?.bootId;
    const run = await runStoppedAt(lab.stateDir, args(lab), points.slice(killedAt.length + passed.length));
    passed.push(...run.passed.map((p) => p.title));
    if (!run.stoppedAt) {
      t.fail(`the run ended by itself before the next kill point (${points[killedAt.length + passed.length]?.title})\n${describeRun(run.result)}`);
      return;
    }
    if (run.stoppedAt === points.at(-1) && run.result.signal === null) {
      // After the last stage is done only the run's end is left: the run may finish between the
      // checkpoint write and the kill (the poll is 20 ms). It must then have finished cleanly.
      t.is(run.result.code, 0, describeRun(run.result));
    } else {
      t.is(run.result.signal, 'SIGKILL', run.stoppedAt.title);
    }
    killedAt.push(run.stoppedAt.title);
    t.log(`killed ${run.stoppedAt.title}: ${statuses(lab)}`);
    const reboot = readCheckpointFile(lab.stateDir)?.stages.reboot?.status;
    await settle(lab, reboot === 'running' || reboot === 'rebooting');
    if (run.stoppedAt.title === 'after container-create is done') {
      // A mark inside every container: gone at the end if a later run created it again.
      for (const c of lab.plan.containers) await onNode(lab, ['lxc-attach', '-n', c.name, '--', 'touch', '/root/created-once']);
      markers = lab.plan.containers.map((c) => c.name);
    }
  }
  t.log(`went by without their moment: ${passed.join('; ') || 'none'}`);

  const finish = await runCli('provision', args(lab));
  t.is(finish.code, 0, `the run after the last kill finishes\n${describeRun(finish)}`);
  const again = await runCli('provision', args(lab));
  t.is(again.code, 0, describeRun(again));
  t.deepEqual(hostReport(again).stages.filter((s) => s.changed).map((s) => s.id), [], 'one more run changes nothing');

  const ref = await uninterrupted;
  t.is(ref.code, 0, `the uninterrupted run\n${describeRun(ref)}`);
  // Every stage that changes a fresh node was killed in the middle of its apply at least once.
  const applying = [...new Set(journal(reference().stateDir).filter((e) => e.event === 'stage-apply').map((e) => String(e.stage)))];
  t.deepEqual(applying.filter((s) => !killedAt.includes(atStage.applying(s).title)), [], 'a kill mid-apply of every stage that applies');
  t.true(markers.length > 0, 'the containers were marked once created');

  // The node as one uninterrupted run leaves it.
  await assertProvisioned(t, lab);
  t.deepEqual(await allVfMacs(lab), plannedMacs(lab.plan));
  const differences = snapshotDifferences(await nodeSnapshot(lab), await nodeSnapshot(reference()));
  for (const d of differences) {
    const path = d.slice(0, d.indexOf(': '));
    if (!d.includes(' f ')) continue;
    t.log(`${path} after the kills:\n${await nodeText(lab, path).catch(() => '(absent)')}\nafter the uninterrupted run:\n${await nodeText(reference(), path).catch(() => '(absent)')}`);
  }
  t.deepEqual(differences, [], 'files of provisioning: the same as after the uninterrupted run');
  const cmdline = async (l: Lab) => (await onNode(l, ['cat', '/proc/cmdline'])).trim();
  t.is(await cmdline(lab), await cmdline(reference()));
  t.is(bootCount(lab) - bootsAtStart, bootCount(reference()) - 1, 'as many reboots as the uninterrupted run: none repeated');
  t.deepEqual((await onNode(lab, ['lxc-ls', '-1'])).split(/\s+/).filter(Boolean).sort(), lab.plan.containers.map((c) => c.name).sort());
  for (const name of markers) {
    const mark = await execOnNode(lab, ['lxc-attach', '-n', name, '--', 'test', '-e', '/root/created-once']);
    t.is(mark.code, 0, `${name} was not created again after it was done`);
  }
  const applies = journal(lab.stateDir).filter((e) => e.event === 'stage-apply').map((e) => String(e.stage));
  t.log(`applies over the lineage: ${[...new Set(applies)].map((s) => `${s} ×${applies.filter((a) => a === s).length}`).join(', ')}`);
});

test('lab: crash: a controller killed while it writes a file leaves the old file, not a truncated one', async (t) => {
  t.timeout(120_000);
  const sshd = await startSshd(t);
  const target = join(sshd.dir, 'target.conf');
  // A controller of its own (test/fixtures/faults/write-file.ts) writing `bytes` to target over SSH.
  const writer = (bytes: number) =>
    spawn(process.execPath, [fileURLToPath(new URL('../fixtures/faults/write-file.ts', import.meta.url)), String(sshd.port), sshd.clientKeyPath, join(sshd.dir, 'pins'), target, String(bytes)]);
  const small = await finished(writer(100), 60_000);
  t.is(small.code, 0, small.stderr);
  t.is(readFileSync(target, 'utf8'), 'x'.repeat(100));

  // 256 MB: the kill lands while the content is still on its way.
  const big = writer(1 << 28);
  const bigDone = finished(big, 60_000);
  const temp = await waitFor('the temporary file on the node', () => {
    const name = readdirTemp(sshd.dir);
    return name ? join(sshd.dir, name) : undefined;
  }, 30_000, 20);
  await waitFor('some content to arrive', () => (sizeOf(temp) > 0 ? true : undefined), 30_000, 20);
  big.kill('SIGKILL');
  t.is((await bigDone).signal, 'SIGKILL');
  // sshd closes the command's stdin when the connection goes: the write script ends soon after.
  await waitFor('the temporary file to go', () => (readdirTemp(sshd.dir) === undefined ? true : undefined), 30_000, 50);
  t.is(readFileSync(target, 'utf8'), 'x'.repeat(100), 'the old content is still there');
});

function readdirTemp(dir: string): string | undefined {
  // mktemp's name: ".target.conf.XXXXXXXXXX" (hosts/ssh.ts).
  return readdirSync(dir).find((name) => /^\.target\.conf\.[A-Za-z0-9]{10}$/.test(name));
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
