// A benchmark result belongs to the node and the configuration it measured: provisioned and
// benchmarked, a run with nothing changed keeps the result; a container's memory limit changed in
// the inventory, or the node replaced under the same name (another machine-id), and the next run
// measures again, saying which input changed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import { describeRun, hostReport, NODE, onNode, runCli, stageOf, useLab } from '../helpers/lab-fixture.ts';

const lab = useLab(test, 'debian12');

test.serial('lab: the benchmark measures again when the container\'s memory limit or the node\'s machine-id changed, and names the change', async (t) => {
  t.timeout(2_400_000);
  const node = lab();
  const inventory = parse(readFileSync(node.info.inventoryPath, 'utf8')) as { hosts: Record<string, { benchmark: Record<string, unknown>; containers: { name: string; limits: Record<string, string> }[] }> };
  // No time for more rounds than the minimum: the test is about when the stage measures, not what.
  inventory.hosts[NODE]!.benchmark.budget = 0;
  const file = join(node.dir, 'inventory-identity.yaml');
  writeFileSync(file, stringify(inventory));
  const args = (...extra: string[]) => ['--inventory', file, '--host', NODE, '--state-dir', node.stateDir, '--json', ...extra];

  const first = await runCli('provision', args(), 1_200_000);
  t.is(first.code, 0, describeRun(first));
  t.true(stageOf(hostReport(first), 'benchmark').changed, 'measured the first time');

  const again = await runCli('provision', args('--only', 'benchmark'), 600_000);
  t.is(again.code, 0, describeRun(again));
  t.false(stageOf(hostReport(again), 'benchmark').changed, 'nothing changed: the result stands');

  inventory.hosts[NODE]!.containers[0]!.limits = { memory: '768M' };
  writeFileSync(file, stringify(inventory));
  const dry = await runCli('provision', args('--only', 'benchmark', '--dry-run'), 600_000);
  const plan = (stageOf(hostReport(dry), 'benchmark') as unknown as { plan?: string[] }).plan?.join('\n') ?? '';
  t.regex(plan, /measure again: changed since run \S+ .*measured this node:/, describeRun(dry));
  t.regex(plan, /container c1 plan: was ".*"memory":"1G".*", now ".*"memory":"768M"/);
  const limited = await runCli('provision', args(), 1_200_000);
  t.is(limited.code, 0, describeRun(limited));
  t.true(stageOf(hostReport(limited), 'container-create').changed, 'the limit applied');
  t.true(stageOf(hostReport(limited), 'benchmark').changed, 'measured again after the limit changed');

  // The node replaced under the same name: another machine-id (the rest of the node alike).
  await onNode(node, ['sh', '-c', 'echo 0123456789abcdef0123456789abcdef > /etc/machine-id']);
  const replaced = await runCli('provision', args('--only', 'benchmark', '--dry-run'), 600_000);
  const replacedPlan = (stageOf(hostReport(replaced), 'benchmark') as unknown as { plan?: string[] }).plan?.join('\n') ?? '';
  t.regex(replacedPlan, /machine-id: was "[0-9a-f]{32}", now "0123456789abcdef0123456789abcdef"/, describeRun(replaced));
  const measured = await runCli('provision', args('--only', 'benchmark'), 600_000);
  t.is(measured.code, 0, describeRun(measured));
  t.true(stageOf(hostReport(measured), 'benchmark').changed, 'measured again on the replaced node');
});
