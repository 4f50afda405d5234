// `npm run bench` compares sriov-lxc's no-op converge with bench/ansible/noop-converge.yml: the
// comparison holds only while the playbook checks what the tool checks. Here, per boot method, the
// tool provisions lab nodes and the playbook must pass on them, and fail once the params are taken
// out of the file the method keeps them in. One debian12 lab of two nodes (node1 with the grub.d
// drop-in; node2 without /etc/default/grub.d, so GRUB_CMDLINE_LINUX) and one alma9 node (BLS).
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { PLAYBOOKS, workspaceFor } from '../../bench/ansible.ts';
import { describeRun, jsonOf, onlyWithoutBenchmark, onNode, runCli, startTestLab, type Lab } from '../helpers/lab-fixture.ts';

/** Provisions every node of the lab without the benchmark stage; the boot method each used. */
async function provisionAll(t: ExecutionContext, lab: Lab): Promise<Record<string, string | undefined>> {
  const r = await runCli('provision', ['--inventory', lab.info.inventoryPath, '--state-dir', lab.stateDir, '--json', ...onlyWithoutBenchmark()], 900_000);
  t.is(r.code, 0, describeRun(r));
  const doc = jsonOf<{ hosts: { host: string; outputs: Record<string, { bootMethod?: string }> }[] }>(r);
  return Object.fromEntries(doc.hosts.map((h) => [h.host, h.outputs['kernel-cmdline-commit']?.bootMethod ?? h.outputs['kernel-cmdline']?.bootMethod]));
}

/** Runs the playbook on the lab; the failed hosts. */
async function playbookFailures(lab: Lab, dir: string): Promise<{ failed: string[]; output: string }> {
  const ws = await workspaceFor(lab.info.inventoryPath, lab.info.knownHostsPath, dir);
  const run = await ws.play(PLAYBOOKS.noop, { forks: lab.info.nodes.length, timeoutMs: 600_000 });
  const failed = Object.entries(run.stats).filter(([, s]) => (s.failures ?? 0) + (s.unreachable ?? 0) > 0).map(([h]) => h);
  if (run.code !== 0 && failed.length === 0) throw new Error(`ansible-playbook exited ${run.code}:\n${run.output}`);
  return { failed, output: run.output };
}

/** Replaces `param` in `file` on the node by a harmless one; returns the restore. */
async function dropParam(lab: Lab, file: string, param: string): Promise<() => Promise<void>> {
  const before = await onNode(lab, ['cat', file]);
  if (!before.includes(param)) throw new Error(`${file} on ${lab.plan.name} has no ${param}:\n${before}`);
  await onNode(lab, ['sh', '-c', 'cat > "$1"', 'sh', file], before.replaceAll(param, 'quiet'));
  return async () => {
    await onNode(lab, ['sh', '-c', 'cat > "$1"', 'sh', file], before);
  };
}

test.serial('lab: the no-op playbook passes on nodes the tool provisioned, by grub.d drop-in and GRUB_CMDLINE_LINUX, and fails without the params', async (t) => {
  t.timeout(1_800_000);
  const { labs, stop } = await startTestLab('bench-ansible-grub', 'debian12', 2);
  t.teardown(stop);
  const dropin = labs.get('node1')!;
  const defaults = labs.get('node2')!;
  await onNode(defaults, ['rm', '-rf', '/etc/default/grub.d']);
  t.deepEqual(await provisionAll(t, dropin), { node1: 'grub-dropin', node2: 'grub-defaults' });

  const passed = await playbookFailures(dropin, join(dropin.dir, 'ansible'));
  t.deepEqual(passed.failed, [], passed.output);

  const param = dropin.plan.kernelParams[0]!;
  const restoreDropin = await dropParam(dropin, '/etc/default/grub.d/99-sriov-lxc.cfg', param);
  const restoreDefaults = await dropParam(defaults, '/etc/default/grub', param);
  const broken = await playbookFailures(dropin, join(dropin.dir, 'ansible'));
  t.deepEqual(broken.failed.sort(), ['node1', 'node2'], `without ${param} in the params files`);
  t.regex(broken.output, /The bootloader and the running kernel have the planned params/);
  await restoreDropin();
  await restoreDefaults();
});

test.serial('lab: the no-op playbook passes on a BLS node the tool provisioned, and fails when /etc/kernel/cmdline lacks a param', async (t) => {
  t.timeout(1_800_000);
  const { labs, stop } = await startTestLab('bench-ansible-bls', 'alma9', 1);
  t.teardown(stop);
  const bls = labs.get('node1')!;
  t.deepEqual(await provisionAll(t, bls), { node1: 'bls' });

  const passed = await playbookFailures(bls, join(bls.dir, 'ansible'));
  t.deepEqual(passed.failed, [], passed.output);

  const restore = await dropParam(bls, '/etc/kernel/cmdline', bls.plan.kernelParams[0]!);
  const broken = await playbookFailures(bls, join(bls.dir, 'ansible'));
  t.deepEqual(broken.failed, ['node1']);
  await restore();
});
