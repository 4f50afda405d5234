#!/usr/bin/env -S npx zx
// `npm run bench`: sriov-lxc on lab nodes against Ansible (see bench/args.ts --help and the README's
// benchmark section). For each lab size: a fresh lab for the full pipeline, then the no-op converge
// of both tools on those provisioned nodes (and, at the smallest size, reboot detection). Then the
// pipeline without the benchmark stage, each size in turn per repetition, each run on a fresh lab.
// Prints Markdown tables, writes JSON.
// Ctrl-C (SIGINT) or SIGTERM: the runs under way are stopped, the labs taken down and the work
// directory removed (lab/interrupt.ts), exit 130/143.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchWorkDir, Interruption, type LabInfo } from '../lab/index.ts';
import { loadInventory } from '../inventory/load.ts';
import { sshCryptoNative } from '../hosts/ssh2-binding.ts';
import { scriptArgs } from '../cli/script-args.ts';
import { ensureAnsible, PLAYBOOKS, workspaceFor, type AnsibleWorkspace } from './ansible.ts';
import { collectionNoop, collectionWorkspace, type CollectionWorkspace } from './collection.ts';
import { BENCH_HELP, parseBenchArgs, type BenchArgs } from './args.ts';
import { nodeCpuFiles, nodesCpuS } from './node-cpu.ts';
import { notNoop, pipelineRun, provision, WITHOUT_BENCHMARK } from './pipeline.ts';
import { ansibleReboot, oursReboot, type RebootParams } from './reboot-detection.ts';
import { BENCH_FORMAT, BENCH_VERSION, judge, medianCpuS, medianRun, renderTables, spread, type BenchResults, type FleetResult, type NoopResult, type PipelineRun, type RebootResult } from './results.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results', import.meta.url));
const LAB_BOOT_DELAY_MS = 2000;
// The Ansible playbook reads JSON (`ip -j`, `findmnt -J`, `tc -j`), which CentOS 7's iproute 4.11
// and util-linux 2.23 do not print (the centos7 flavour refuses them, lab/README.md): Debian 12 nodes.
const FLAVOUR = 'debian12';
// The tuned Ansible reboot: the first boot_id poll about when a lab node is back (boot delay + ~1 s
// boot), a short connect timeout, a bounded wait. Its backoff between polls (1, 2, 4... s, at most
// 12 s) has no parameter.
const TUNED: RebootParams = { sriov_post_reboot_delay: 3, sriov_connect_timeout: 2, sriov_reboot_timeout: 120 };

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const median = (xs: readonly number[]): number => spread(xs).medianMs;
const interruption = new Interruption('bench');

async function withLab<T>(work: string, name: string, nodes: number, fn: (info: LabInfo) => Promise<T>): Promise<T> {
  const dir = join(work, name);
  log(`${name}: lab of ${nodes} node(s) coming up`);
  const info = await interruption.labUp({ dir, nodes, flavour: FLAVOUR, bootDelayMs: LAB_BOOT_DELAY_MS, timeoutMs: 180_000 });
  try {
    return await fn(info);
  } finally {
    await interruption.labDown(dir);
    interruption.removeDir(dir);
  }
}

/**
 * Removes the work directory only once no lab in it is up: a lab's state (lab.json) is what
 * `lab down` needs to find its namespaces, supervisor and the peer's iperf3.
 */
async function removeWorkDir(work: string): Promise<void> {
  const left: string[] = [];
  for (const name of readdirSync(work)) {
    const dir = join(work, name);
    if (!existsSync(join(dir, 'lab.json'))) continue;
    try {
      await interruption.labDown(dir);
    } catch (error) {
      left.push(`${dir} (${(error as Error).message})`);
    }
  }
  if (left.length > 0) {
    log(`kept ${work}: a lab in it could not be taken down: ${left.join('; ')}; take it down with \`npx zx lab/lab.ts down --dir DIR\`, then remove ${work}`);
    return;
  }
  interruption.removeDir(work);
}

async function provisioned(info: LabInfo, stateDir: string, nodes: number, extra: readonly string[]): Promise<PipelineRun> {
  const p = await provision(info.inventoryPath, stateDir, nodes, extra);
  const result = pipelineRun(p, info.dir, stateDir);
  log(`  ${(result.wallMs / 1000).toFixed(1)} s, ${result.hostsOk}/${nodes} hosts ok, peak RSS ${result.peakRssMb} MB, CPU ${result.cpuS} s`);
  for (const [host, why] of Object.entries(result.failures)) log(`  ${host}: ${why}`);
  return result;
}

/** Finishes hosts the measured run left unfinished (a busy iperf3 peer), so the no-op starts from done. */
async function finishFailed(info: LabInfo, stateDir: string, nodes: number): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const p = await provision(info.inventoryPath, stateDir, nodes, ['--retry-failed']);
    if (p.report.hosts.every((h) => h.ok)) return;
    log(`  --retry-failed ${attempt}: ${p.report.hosts.filter((h) => !h.ok).map((h) => h.host).join(', ')} still not done`);
  }
  throw new Error(`the lab in ${info.dir} could not be fully provisioned for the no-op converge`);
}

async function noop(info: LabInfo, stateDir: string, nodes: number, reps: number, ws: AnsibleWorkspace, collection: CollectionWorkspace): Promise<NoopResult> {
  const ours: number[] = [];
  const ansible: number[] = [];
  const viaCollection: number[] = [];
  const trips: number[] = [];
  const modules: number[] = [];
  const cpu = { ours: [] as number[], oursNodes: [] as number[], ansibleNodes: [] as number[] };
  const cpuFiles = nodeCpuFiles(info.dir, info.nodes.map((n) => n.name));
  for (let i = 0; i < reps; i++) {
    const nodesBefore = nodesCpuS(cpuFiles);
    const p = await provision(info.inventoryPath, stateDir, nodes);
    const nodesBetween = nodesCpuS(cpuFiles);
    const problems = notNoop(p.report);
    if (problems.length > 0) throw new Error(`the second run of sriov-lxc was not a no-op: ${problems.join('; ')}`);
    ours.push(p.run.wallMs);
    trips.push(...p.report.hosts.map((h) => h.roundTrips ?? 0));
    const a = await ws.play(PLAYBOOKS.noop, { forks: nodes, timeoutMs: 1_800_000 });
    const failed = Object.entries(a.stats).filter(([, s]) => (s.failures ?? 0) + (s.unreachable ?? 0) > 0);
    if (a.code !== 0 || failed.length > 0) throw new Error(`the Ansible no-op converge failed (exit ${a.code}) on ${failed.map(([h]) => h).join(', ')}:\n${a.output}`);
    ansible.push(a.wallMs);
    const nodesAfter = nodesCpuS(cpuFiles);
    if (nodesBefore !== undefined && nodesBetween !== undefined && nodesAfter !== undefined) {
      cpu.oursNodes.push(nodesBetween - nodesBefore);
      cpu.ansibleNodes.push(nodesAfter - nodesBetween);
    }
    if (p.run.usage) cpu.ours.push(p.run.usage.cpuS);
    modules.push(...Object.values(a.remoteRuns));
    const c = await collectionNoop(collection, stateDir, nodes);
    viaCollection.push(c.wallMs);
    log(`  no-op ${i + 1}/${reps}: sriov-lxc ${(p.run.wallMs / 1000).toFixed(2)} s, Ansible ${(a.wallMs / 1000).toFixed(2)} s, sriov-lxc through the collection ${(c.wallMs / 1000).toFixed(2)} s`);
  }
  const cpuS = cpu.oursNodes.length > 0 && cpu.ours.length > 0 ? { ours: medianCpuS(cpu.ours), oursNodes: medianCpuS(cpu.oursNodes), ansibleNodes: medianCpuS(cpu.ansibleNodes) } : undefined;
  return { nodes, parallel: nodes, ours: spread(ours), ansible: spread(ansible), oursRoundTripsPerHost: median(trips), ansibleModulesPerHost: median(modules), collection: spread(viaCollection), ...(cpuS ? { cpuS } : {}) };
}

async function reboots(info: LabInfo, stateDir: string, reps: number, ws: AnsibleWorkspace): Promise<RebootResult> {
  const node = info.nodes[0]!.name;
  const plan = loadInventory(info.inventoryPath).hosts.find((h) => h.name === node)!;
  const ours = [];
  const byDefault = [];
  const tuned = [];
  for (let i = 0; i < reps; i++) {
    ours.push(await oursReboot(plan, info.dir, stateDir));
    byDefault.push(await ansibleReboot(ws, info.dir, node, {}));
    tuned.push(await ansibleReboot(ws, info.dir, node, TUNED));
    const last = (xs: { detectMs: number }[]) => `${(xs.at(-1)!.detectMs / 1000).toFixed(2)} s`;
    log(`  reboot ${i + 1}/${reps}: detection sriov-lxc ${last(ours)}, Ansible ${last(byDefault)}, Ansible tuned ${last(tuned)}`);
  }
  return {
    node,
    ours: spread(ours.map((x) => x.detectMs)),
    ansibleDefault: spread(byDefault.map((x) => x.detectMs)),
    ansibleTuned: spread(tuned.map((x) => x.detectMs)),
    tunedParams: Object.fromEntries(Object.entries(TUNED)) as Record<string, number>,
    totalMedianMs: { ours: median(ours.map((x) => x.totalMs)), ansibleDefault: median(byDefault.map((x) => x.totalMs)), ansibleTuned: median(tuned.map((x) => x.totalMs)) },
  };
}

async function bench(args: BenchArgs): Promise<BenchResults> {
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs lab nodes (namespaces, mounts): run it as root');
  const ansibleVersion = ensureAnsible(log);
  const load = loadavg();
  if (load[0]! > cpus().length) log(`warning: load average ${load[0]!.toFixed(1)} on ${cpus().length} CPUs: other work will skew the figures`);
  const startedAt = new Date().toISOString();
  // Marked as ours: `lab.ts sweep` takes its labs down if this process is killed with SIGKILL.
  const work = args.workDir ? resolve(args.workDir) : benchWorkDir();
  mkdirSync(work, { recursive: true });
  if (!args.workDir) interruption.ownDir(work);
  const noops: NoopResult[] = [];
  const fullRuns = new Map<number, PipelineRun>();
  let reboot: RebootResult | undefined;
  let fleet: FleetResult[] = [];
  try {
    for (const nodes of args.scales) {
      const provisionedLab = args.parts.includes('noop') || (args.parts.includes('reboot') && nodes === args.scales[0]) || args.parts.includes('fleet');
      if (!provisionedLab) continue;
      const full = await withLab(work, `lab-${nodes}-full`, nodes, async (info) => {
        const stateDir = join(work, `state-${nodes}-full`);
        log(`${nodes} node(s): full pipeline`);
        const result = await provisioned(info, stateDir, nodes, []);
        if (result.hostsOk < nodes) await finishFailed(info, stateDir, nodes);
        const ws = await workspaceFor(info.inventoryPath, info.knownHostsPath, join(work, `ansible-${nodes}`));
        if (args.parts.includes('noop')) {
          log(`${nodes} node(s): no-op converge, sriov-lxc vs Ansible`);
          noops.push(await noop(info, stateDir, nodes, args.noopReps, ws, collectionWorkspace(info, join(work, `collection-${nodes}`))));
        }
        if (args.parts.includes('reboot') && nodes === args.scales[0]) {
          log(`${nodes} node(s): reboot detection`);
          reboot = await reboots(info, stateDir, args.rebootReps, ws);
        }
        return result;
      });
      fullRuns.set(nodes, full);
    }
    if (args.parts.includes('fleet')) {
      // Side by side: each repetition runs every size in turn, so the figures per added node
      // compare runs made in the same minutes, where each size's runs used to follow its own
      // no-op converge (the largest size's at the bench's end, right after Ansible's on all its
      // nodes). Each run still has a fresh lab.
      const runs = new Map<number, PipelineRun[]>(args.scales.map((n) => [n, []]));
      for (let rep = 1; rep <= args.fleetReps; rep++) {
        for (const nodes of args.scales) {
          runs.get(nodes)!.push(await withLab(work, `lab-${nodes}-nobench-${rep}`, nodes, (info) => {
            log(`${nodes} node(s): pipeline without the benchmark stage (run ${rep} of ${args.fleetReps})`);
            return provisioned(info, join(work, `state-${nodes}-nobench-${rep}`), nodes, ['--only', WITHOUT_BENCHMARK.join(',')]);
          }));
        }
      }
      fleet = args.scales.map((nodes) => ({ nodes, full: fullRuns.get(nodes)!, withoutBenchmark: medianRun(runs.get(nodes)!), withoutBenchmarkRuns: runs.get(nodes)! }));
    }
  } finally {
    if (!args.workDir) await removeWorkDir(work);
  }
  const partial = {
    format: BENCH_FORMAT,
    version: BENCH_VERSION,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      node: process.version,
      sshNativeCrypto: sshCryptoNative(),
      ansible: ansibleVersion,
      loadAvgAtStart: load.map((l) => Math.round(l * 10) / 10),
    },
    settings: { parts: args.parts, scales: args.scales, noopReps: args.noopReps, rebootReps: args.rebootReps, fleetReps: args.fleetReps, bootDelayMs: LAB_BOOT_DELAY_MS, flavour: FLAVOUR },
    noop: noops,
    ...(reboot ? { reboot } : {}),
    fleet,
  } satisfies Omit<BenchResults, 'targets'>;
  return { ...partial, targets: judge(partial) };
}

let args: BenchArgs;
try {
  args = parseBenchArgs(scriptArgs(import.meta.url));
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n${BENCH_HELP}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(BENCH_HELP);
} else {
  interruption.install();
  const results = await interruption.run(() => bench(args));
  const out = args.out ? resolve(args.out) : join(RESULTS_DIR, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderTables(results)}\n\nresults: ${out}\n`);
}
