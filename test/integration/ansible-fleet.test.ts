// The Ansible collection (ansible/, issue 25) on a three-node lab, with Debian's ansible-core:
// the collection built and installed with ansible-galaxy, the lab's inventory as Ansible group
// and host vars, and the collection's own fleet playbook (the controller role, then provision
// with serial 2). One lab for the file, its tests in order: check mode changes nothing; a run
// with node3's driver build failing (the recap and the failed host's stage and diagnosis); a run
// killed while node3 reboots, then run again (one boot, containers created once); a last run
// changes nothing anywhere. The benchmark stage is left out (the plugin only passes it through).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { labFault, nodePower } from '../../lab/index.ts';
import { readJournal } from '../../state/journal.ts';
import type { HostCheckpoint } from '../../state/types.ts';
import { installCollection, labAnsibleInventory } from '../../bench/collection.ts';
import { runPlaybook, spawnPlaybook, SRIOV_LXC_COMMAND, type AnsibleRun, type PlaybookResult } from '../helpers/ansible-lab.ts';
import { assertProvisioned, bootCount, finished, nodeFiles, onNode, startTestLab, waitFor, WITHOUT_BENCHMARK, type Lab } from '../helpers/lab-fixture.ts';

const NODES = ['node1', 'node2', 'node3'];
// In the second wave of serial 2: the playbook's max_fail_percentage (10) stops a play whose wave fails.
const FAULTY = 'node3';
const TASK = 'Provision';
let labs: Map<string, Lab> | undefined;
let stop: (() => Promise<void>) | undefined;
let run: AnsibleRun | undefined;
const bootsAtStart = new Map<string, number>();

function lab(node: string): Lab {
  const l = labs?.get(node);
  if (!l) throw new Error(`the lab did not come up with ${node} (see the before hook)`);
  return l;
}

test.before(async () => {
  const started = await startTestLab('it-ansible', 'debian12', NODES.length);
  ({ labs, stop } = started);
  for (const [name, l] of started.labs) bootsAtStart.set(name, bootCount(l));
  const first = lab('node1');
  const dir = join(first.dir, 'ansible');
  installCollection(dir);
  writeFileSync(join(dir, 'hosts.yml'), labAnsibleInventory(first.info.inventoryPath));
  writeFileSync(join(dir, 'extra-vars.json'), JSON.stringify({
    sriov_lxc_controller_node: process.execPath,
    sriov_lxc_controller_command: SRIOV_LXC_COMMAND,
    sriov_lxc_controller_state_dir: first.stateDir,
    sriov_fleet_serial: 2,
    sriov_fleet_only: WITHOUT_BENCHMARK,
  }));
  run = { dir, inventory: join(dir, 'hosts.yml'), playbook: 'sriov_lxc.sriov_lxc.fleet', extraArgs: ['-e', `@${join(dir, 'extra-vars.json')}`] };
});

test.after.always(async () => {
  await stop?.();
});

const play = (...extra: string[]) => runPlaybook({ ...run!, extraArgs: [...run!.extraArgs!, ...extra] });
const reboots = (node: string) => bootCount(lab(node)) - bootsAtStart.get(node)!;
const journal = (node: string) => readJournal(lab(node).stateDir, node).entries;
const applied = (node: string, stage: string) => journal(node).filter((e) => e.event === 'stage-apply' && e.stage === stage).length;
const checkpoint = (node: string): HostCheckpoint | undefined => {
  try {
    return JSON.parse(readFileSync(join(lab(node).stateDir, 'hosts', node, 'checkpoint.json'), 'utf8')) as HostCheckpoint;
  } catch {
    return undefined;
  }
};
const recap = (r: PlaybookResult) => Object.fromEntries(NODES.map((n) => [n, `changed=${r.stats[n]?.changed} failed=${r.stats[n]?.failures}`]));
const described = (r: PlaybookResult, task = TASK) => `exit ${r.code}\n${JSON.stringify(r.stats)}\n${(JSON.stringify(r.tasks[task], null, 1) ?? '(no such task)').slice(0, 6000)}\n${r.stderr.slice(-2000)}`;

/** What provisioning changes on a node, read on the node. */
async function nodeState(node: string): Promise<string> {
  const files = await nodeFiles(lab(node), ['/etc/modules-load.d', '/etc/modprobe.d', '/etc/sysctl.d', '/etc/fstab', '/etc/default/grub', '/boot/grub', '/var/lib/lxc', '/etc/systemd/system', '/var/lib/sriov-lxc']);
  const live = await onNode(lab(node), ['sh', '-c', 'cat /proc/cmdline /proc/sys/vm/nr_hugepages /sys/class/net/enp4s0f0/device/sriov_numvfs; lxc-ls -1']);
  return `${files}\n${live}`;
}

async function provisioned(t: ExecutionContext, nodes: readonly string[]): Promise<void> {
  for (const node of nodes) await assertProvisioned(t, lab(node));
}

test.serial('lab: ansible check mode (-C --diff) reports what would change and changes nothing on any node', async (t) => {
  t.timeout(300_000);
  const before = await Promise.all(NODES.map(nodeState));
  const r = await play('--check', '--diff');
  t.is(r.code, 0, described(r));
  for (const node of NODES) {
    const result = r.tasks[TASK]?.[node];
    t.true(result?.changed, `${node} would change: ${JSON.stringify(result)?.slice(0, 2000)}`);
    t.true(result?.stages?.some((s) => s.status === 'would-change'), `${node}: stages would change`);
    t.true((result?.diff ?? []).some((d) => d.before_header === '/etc/modules-load.d/sriov-lxc.conf' || d.prepared.includes('ixgbe')), `${node}: the dry run's file diffs are Ansible's diff: ${JSON.stringify(result?.diff)?.slice(0, 1500)}`);
    t.is(r.stats[node]?.failures, 0);
  }
  t.deepEqual(await Promise.all(NODES.map(nodeState)), before, 'every node as it was');
  for (const node of NODES) t.is(reboots(node), 0, `${node} was not rebooted`);
});

test.serial('lab: ansible fleet, serial 2, node3\'s driver build fails: the recap says so, node3 failed with the stage and diagnosis, the others changed', async (t) => {
  t.timeout(600_000);
  await labFault(lab(FAULTY).dir, FAULTY, 'driver-build-fails', true);
  const r = await play();
  t.log(recap(r));
  t.is(r.code, 2, `ansible-playbook exits 2 when a host failed: ${described(r)}`);
  const failed = r.tasks[TASK]?.[FAULTY];
  t.true(failed?.failed, described(r));
  t.is(failed?.stage, 'driver-build');
  t.regex(failed?.diagnosis ?? '', /\S/, 'a diagnosis');
  t.true(failed?.msg?.startsWith('driver-build: '), failed?.msg);
  t.log(`${FAULTY}: ${failed?.msg}\nhint: ${failed?.hint}`);
  t.is(r.stats[FAULTY]?.failures, 1);
  for (const node of ['node1', 'node2']) {
    const ok = r.tasks[TASK]?.[node];
    t.true(ok?.changed && !ok.failed, `${node}: ${JSON.stringify(ok)?.slice(0, 1000)}`);
    t.is(ok?.reboots, 1);
    t.is(r.stats[node]?.failures, 0);
    t.true((r.stats[node]?.changed ?? 0) >= 1);
    t.is(reboots(node), 1, `${node} booted once`);
  }
  t.is(reboots(FAULTY), 0, 'the failed node was not rebooted');
  await provisioned(t, ['node1', 'node2']);
});

test.serial('lab: ansible job killed (the whole process group, -9) while node3 reboots; the next job ends as one clean run', async (t) => {
  t.timeout(600_000);
  await labFault(lab(FAULTY).dir, FAULTY, 'driver-build-fails', false);
  const bootIdBefore = nodePower(lab(FAULTY).dir, FAULTY)?.bootId;
  const child = spawnPlaybook(run!);
  const killed = finished(child, 300_000);
  await waitFor(`${FAULTY}'s checkpoint to say it is rebooting`, () => (checkpoint(FAULTY)?.stages.reboot?.status === 'rebooting' ? true : undefined), 240_000, 50);
  await waitFor(`${FAULTY} to go down`, () => {
    const power = nodePower(lab(FAULTY).dir, FAULTY);
    return power && (power.phase !== 'up' || power.bootId !== bootIdBefore) ? true : undefined;
  }, 30_000, 20);
  process.kill(-child.pid!, 'SIGKILL');
  const first = await killed;
  t.is(first.signal, 'SIGKILL', `${first.stdout.slice(-2000)}${first.stderr.slice(-2000)}`);
  t.is(checkpoint(FAULTY)?.stages.reboot?.status, 'rebooting', 'the killed job left the reboot stage at rebooting');

  const r = await play();
  t.log(recap(r));
  t.is(r.code, 0, described(r));
  const again = r.tasks[TASK]?.[FAULTY];
  t.true(again?.changed, `${FAULTY} changed in the second job: ${JSON.stringify(again)?.slice(0, 1000)}`);
  t.is(again?.reboots, 1, 'the reboot the killed job started is counted once');
  t.is(reboots(FAULTY), 1, `${FAULTY} booted exactly once across both jobs`);
  t.is(checkpoint(FAULTY)?.stages.reboot?.reboot?.issued, 1, 'one reboot issued in all');
  t.is(applied(FAULTY, 'container-create'), 1, 'the containers were created once');
  for (const node of ['node1', 'node2']) t.false(r.tasks[TASK]?.[node]?.changed, `${node} unchanged`);
  await provisioned(t, [FAULTY]);
});

test.serial('lab: ansible second run on the provisioned fleet: changed=0 on every host, no reboot', async (t) => {
  t.timeout(300_000);
  const r = await play();
  t.log(recap(r));
  t.is(r.code, 0, described(r));
  for (const node of NODES) {
    t.is(r.stats[node]?.changed, 0, `${node}: ${JSON.stringify(r.tasks[TASK]?.[node])?.slice(0, 1500)}`);
    t.is(r.stats[node]?.failures, 0);
    t.is(r.tasks[TASK]?.[node]?.reboots, 0);
  }
  t.deepEqual(NODES.map(reboots), [1, 1, 1], 'one boot per node in the whole file');
});

test.serial('lab: ansible teardown playbook: every node back (no sriov-lxc params, no containers, no VFs); a second teardown changes nothing', async (t) => {
  t.timeout(600_000);
  const teardown = (...extra: string[]) => runPlaybook({ ...run!, playbook: 'sriov_lxc.sriov_lxc.teardown', extraArgs: [...run!.extraArgs!, ...extra] });
  const r = await teardown();
  t.log(recap(r));
  t.is(r.code, 0, described(r, 'Teardown'));
  for (const node of NODES) {
    const result = r.tasks.Teardown?.[node];
    t.true(result?.changed && !result.failed, `${node}: ${JSON.stringify(result)?.slice(0, 1500)}`);
    t.is(result?.reboots, 1);
    const cmdline = await onNode(lab(node), ['cat', '/proc/cmdline']);
    t.notRegex(cmdline, /ixgbe\.max_vfs|hugepagesz/, `${node}: no sriov-lxc params: ${cmdline}`);
    t.is((await onNode(lab(node), ['lxc-ls', '-1'])).trim(), '', `${node}: no containers`);
    t.is((await onNode(lab(node), ['cat', '/sys/class/net/enp4s0f0/device/sriov_numvfs'])).trim(), '0', `${node}: no VFs`);
  }
  const again = await teardown();
  t.is(again.code, 0, described(again, 'Teardown'));
  for (const node of NODES) t.false(again.tasks.Teardown?.[node]?.changed, `${node}: ${JSON.stringify(again.tasks.Teardown?.[node])?.slice(0, 1500)}`);
  t.deepEqual(NODES.map(reboots), [2, 2, 2], 'one boot per node for provision, one for teardown');
});
