// Fleet runs on a three-node lab (issue 7): one node's driver build fails, the other two finish;
// the summary table names the failed host and stage; --retry-failed runs only that host from its
// failed stage; --hosts / --limit pick hosts; --serial runs rolling batches; --max-fail-percent
// stops starting hosts. The benchmark stage is left out (the fleet logic is the same with it).
import test, { type ExecutionContext } from 'ava';
import { labFault } from '../../lab/index.ts';
import { readJournal } from '../../state/journal.ts';
import {
  assertProvisioned,
  bootCount,
  describeRun,
  jsonOf,
  onlyWithoutBenchmark,
  runCli,
  startTestLab,
  WITHOUT_BENCHMARK,
  type HostReport,
  type Lab,
  type ProvisionReport,
} from '../helpers/lab-fixture.ts';

const NODES = ['node1', 'node2', 'node3'];
const FAULTY = 'node2';
let labs: Map<string, Lab> | undefined;
let stop: (() => Promise<void>) | undefined;
/** Boots of each node since the lab came up, at the start (the cold boot counts). */
const bootsAtStart = new Map<string, number>();

test.before(async () => {
  const started = await startTestLab('it-fleet', 'centos7', NODES.length);
  ({ labs, stop } = started);
  for (const [name, l] of started.labs) bootsAtStart.set(name, bootCount(l));
});

test.after.always(async () => {
  await stop?.();
});

function lab(node: string): Lab {
  const l = labs?.get(node);
  if (!l) throw new Error(`the lab did not come up with ${node} (see the before hook)`);
  return l;
}

const base = () => ['--inventory', lab('node1').info.inventoryPath, '--state-dir', lab('node1').stateDir, ...onlyWithoutBenchmark()];
const hostsOf = (result: Parameters<typeof jsonOf>[0]): HostReport[] => jsonOf<ProvisionReport>(result).hosts;
const byHost = (hosts: HostReport[]) => Object.fromEntries(hosts.map((h) => [h.host, h]));
const runEvents = (node: string) => readJournal(lab(node).stateDir, node).entries;
const reboots = (node: string) => bootCount(lab(node)) - bootsAtStart.get(node)!;

/** The rows of the summary table (header first), split on its column gaps. */
function summaryRows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^host\s+result\s+failed stage\s+reboots/.test(l));
  if (header < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(header)) {
    if (line.trim() === '') break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

async function eachProvisioned(t: ExecutionContext, nodes: readonly string[]): Promise<void> {
  for (const node of nodes) await assertProvisioned(t, lab(node));
}

test.serial('lab: fleet of 3, one driver build fails: the others finish, exit 1, the summary names the host and the stage', async (t) => {
  t.timeout(600_000);
  await labFault(lab(FAULTY).dir, FAULTY, 'driver-build-fails', true);
  const run = await runCli('provision', [...base(), '--concurrency', '3', '--renderer', 'simple'], 600_000);
  t.is(run.code, 1, describeRun(run));

  const rows = summaryRows(run.stdout);
  t.log(rows.map((r) => r.join('  ')).join('\n'));
  t.deepEqual(rows[0]?.slice(0, 4), ['host', 'result', 'failed stage', 'reboots'], run.stdout);
  const table = Object.fromEntries(rows.slice(1).map((r) => [r[0], r]));
  t.deepEqual(Object.keys(table).sort(), NODES, 'a row per host');
  t.deepEqual(table.node1?.slice(1, 4), ['ok', '-', '1'], run.stdout);
  t.deepEqual(table.node3?.slice(1, 4), ['ok', '-', '1'], run.stdout);
  t.deepEqual(table[FAULTY]?.slice(1, 4), ['failed', 'driver-build', '0'], run.stdout);
  const failure = run.stdout.slice(run.stdout.indexOf(`${FAULTY} — driver-build: `));
  t.true(failure.startsWith(`${FAULTY} — driver-build: `), `the failure follows the table:\n${run.stdout}`);
  t.log(failure.trimEnd());
  t.regex(failure, /^ {2}command: /m, 'with the command that failed');
  t.regex(failure, /^ {2}\| /m, 'and the tail of its stderr');

  for (const node of ['node1', 'node3']) t.is(reboots(node), 1, `${node} rebooted once`);
  t.is(reboots(FAULTY), 0, 'the failed node was not rebooted');
  await eachProvisioned(t, ['node1', 'node3']);
});

test.serial('lab: fleet --retry-failed: only the failed host runs, from its failed stage; the others are not touched', async (t) => {
  t.timeout(600_000);
  await labFault(lab(FAULTY).dir, FAULTY, 'driver-build-fails', false);
  const marks = Object.fromEntries(NODES.map((n) => [n, runEvents(n).length]));
  const run = await runCli('provision', [...base(), '--json', '--retry-failed'], 600_000);
  t.is(run.code, 0, describeRun(run));
  const hosts = byHost(hostsOf(run));

  const faulty = hosts[FAULTY]!;
  t.is(faulty.status, 'ok');
  t.is(faulty.reboots, 1);
  const changed = faulty.stages.filter((s) => s.changed).map((s) => s.id);
  t.false(changed.includes('bios-verify'), 'bios-verify, done before the failure, was not re-applied');
  t.true(changed.includes('driver-build'), 'the failed stage ran');
  const applied = runEvents(FAULTY).slice(marks[FAULTY]).filter((e) => e.event === 'stage-apply').map((e) => e.stage);
  t.deepEqual(applied.filter((s) => WITHOUT_BENCHMARK.indexOf(String(s)) < WITHOUT_BENCHMARK.indexOf('driver-build')), [], 'nothing before driver-build applied');

  for (const node of ['node1', 'node3']) {
    t.true(hosts[node]?.ok, `${node}: ${hosts[node]?.status}`);
    t.true(hosts[node]!.stages.every((s) => !s.changed), `${node} changed nothing`);
    t.deepEqual(runEvents(node).slice(marks[node]).filter((e) => e.event === 'stage-apply'), [], `${node}: no stage applied`);
    t.is(reboots(node), 1, `${node} was not rebooted again`);
  }
  await eachProvisioned(t, [FAULTY]);
});

test.serial('lab: fleet --hosts and --limit pick hosts; --serial 1 runs them one after the other; a re-run is a no-op over one SSH connection per host', async (t) => {
  t.timeout(300_000);
  const picked = await runCli('provision', [...base(), '--json', '--hosts', 'node1,node3', '--serial', '1', '--concurrency', '3']);
  t.is(picked.code, 0, describeRun(picked));
  const hosts = hostsOf(picked);
  t.deepEqual(hosts.map((h) => h.host), ['node1', 'node3']);
  for (const h of hosts) {
    t.deepEqual(h.stages.filter((s) => s.status !== 'done' || s.changed).map((s) => [s.id, s.status]), [['benchmark', 'skipped']], h.host);
    t.is(h.reboots, 0);
    t.true((h.roundTrips ?? 0) > 0, `${h.host}: round trips counted`);
    t.is(h.connections, 1, `${h.host}: ${h.roundTrips} commands over one SSH connection`);
  }
  // --serial 1: node3's run began after node1's ended (both journalled by the engine).
  const span = (node: string) => {
    const events = runEvents(node);
    const start = events.findLast((e) => e.event === 'run-start')!;
    const end = events.findLast((e) => e.event === 'run-end')!;
    return { start: Date.parse(start.ts), end: Date.parse(end.ts) };
  };
  t.true(span('node3').start >= span('node1').end, 'node3 started after node1 ended');

  const limited = await runCli('provision', [...base(), '--json', '--limit', '*2']);
  t.is(limited.code, 0, describeRun(limited));
  t.deepEqual(hostsOf(limited).map((h) => h.host), ['node2']);

  const none = await runCli('provision', [...base(), '--limit', 'rack9-*']);
  t.is(none.code, 2, describeRun(none));
  t.regex(none.stderr, /rack9-\*/, 'the pattern that matched nothing is named');
});

test.serial('lab: fleet --max-fail-percent 0 with --serial 1: the first host fails, the next two are not started', async (t) => {
  t.timeout(300_000);
  await labFault(lab('node1').dir, 'node1', 'vt-disabled', true);
  t.teardown(() => labFault(lab('node1').dir, 'node1', 'vt-disabled', false));
  const marks = Object.fromEntries(NODES.map((n) => [n, runEvents(n).length]));
  const run = await runCli('provision', [...base(), '--json', '--serial', '1', '--max-fail-percent', '0']);
  t.is(run.code, 1, describeRun(run));
  const hosts = byHost(hostsOf(run));
  t.is(hosts.node1?.status, 'failed');
  t.is(hosts.node1?.failedStage, 'bios-verify');
  for (const node of ['node2', 'node3']) {
    t.is(hosts[node]?.status, 'not-started', `${node}: ${JSON.stringify(hosts[node])}`);
    t.deepEqual(runEvents(node).slice(marks[node]), [], `${node}: nothing journalled, never connected`);
  }
});
