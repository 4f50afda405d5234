// The lab for the integration tests of the provisioning CLI: one lab per test file (a unique
// directory, sriov-lxc-test-* under os.tmpdir() marked as this test process's so that the next
// run's sweep takes it down if this one is killed; taken down in an after.always hook, so also
// when a test fails), the CLI run as a user runs it (a child process, --json parsed), and the node read through the
// lab (in the node's own namespaces, as labExec does), not through our checkpoints.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext, TestFn } from 'ava';
import { labDown, labUp, mountedInit, nodePower, type ExecResult, type Firmware, type Flavour, type LabInfo, suiteLabDir } from '../../lab/index.ts';
import { NODE_PATH } from '../../lab/install.ts';
import type { HostCheckpoint } from '../../state/types.ts';
import { PROVISION_STAGES } from '../../workflows/provision-workflow.ts';
import { loadInventory } from '../../inventory/load.ts';
import type { HostPlan, NicModel } from '../../inventory/plan.ts';
import { resolveNic } from '../../inventory/nic-resolve.ts';
import { findLink, parseIpLink } from '../../node/parse/ip-link.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const NODE = 'node1';
/** Every stage but the benchmark: what the tests run unless a test is about the benchmark. */
export const WITHOUT_BENCHMARK = PROVISION_STAGES.map((s) => s.id).filter((id) => id !== 'benchmark');
/** Node 24 and the repository as a lab node sees them (its mount namespace shares /work/main). */
export const NODE24_IN_NODE = join(REPO, 'node_modules', 'node', 'bin', 'node');

export interface Lab {
  dir: string;
  info: LabInfo;
  /** The plan of the node the helpers act on (node1 unless a test picks another), from the lab's inventory by the tool's own loader. */
  plan: HostPlan;
  /** A state dir of this test file's own. */
  stateDir: string;
}

/**
 * A lab of `nodes` nodes in a new directory under os.tmpdir() (named after `name`), each node as
 * a Lab for the helpers, sharing one state dir; `stop` takes it down and removes the directory
 * (also done here when the lab does not come up).
 */
export async function startTestLab(name: string, flavour: Flavour, nodes = 1, firmware: Firmware = 'bios', nic?: string): Promise<{ labs: Map<string, Lab>; stop: () => Promise<void> }> {
  const dir = suiteLabDir(name);
  const stop = async (): Promise<void> => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const info = await labUp({ dir, nodes, flavour, firmware, ...(nic ? { nic } : {}) });
    const plans = loadInventory(info.inventoryPath).hosts.map((plan) => planForLab(plan, info));
    return { labs: new Map(plans.map((plan) => [plan.name, { dir, info, plan, stateDir: join(dir, 'state') }])), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The plan as the tool resolves it on the lab's nodes: for their NIC model (nic: auto). */
export function planForLab(plan: HostPlan, info: LabInfo): HostPlan {
  const nic = info.nodes.find((n) => n.name === plan.name)?.nic as NicModel | undefined;
  return plan.nic.setting === 'auto' && nic ? resolveNic(plan, nic).plan : plan;
}

/** node1 of a lab from startTestLab. */
export function firstNode(labs: ReadonlyMap<string, Lab>): Lab {
  const lab = labs.get(NODE);
  if (!lab) throw new Error(`the lab has no ${NODE}`);
  return lab;
}

/**
 * Registers before/after.always hooks that bring up a one-node lab of `flavour` for this test
 * file and take it down; returns a getter for the tests. `ready` runs in the same hook once the
 * lab is up (a file's own before hook would run concurrently with this one).
 */
export function useLab(test: TestFn, flavour: Flavour, ready?: (lab: Lab) => Promise<void>, nic?: string, firmware: Firmware = 'bios'): () => Lab {
  let lab: Lab | undefined;
  let stop: (() => Promise<void>) | undefined;
  test.before(async () => {
    const started = await startTestLab(`it-${flavour}${nic ? `-${nic}` : ''}${firmware === 'bios' ? '' : `-${firmware}`}`, flavour, 1, firmware, nic);
    stop = started.stop;
    lab = firstNode(started.labs);
    await ready?.(lab);
  });
  test.after.always(async () => {
    await stop?.();
  });
  return () => {
    if (!lab) throw new Error('the lab did not come up (see the before hook)');
    return lab;
  };
}

// --- the CLI -------------------------------------------------------------------------------

/** The --json document of provision.ts (engine/summary.ts), as far as the tests read it. */
export interface StageReport {
  id: string;
  status: 'done' | 'skipped' | 'would-change' | 'failed' | 'rebooting' | 'interrupted';
  changed: boolean;
  attempts: number;
  error: { message: string; hint?: string; command?: string; code?: number; stderrTail?: string } | null;
  reason?: string;
}
export interface HostReport {
  host: string;
  ok: boolean;
  status: string;
  reboots: number;
  failedStage?: string;
  error?: StageReport['error'];
  /** SSH commands sent (remote hosts). */
  roundTrips?: number;
  /** SSH connection attempts that failed (remote hosts). */
  connectFailures?: number;
  /** SSH connections established (remote hosts). */
  connections?: number;
  stages: StageReport[];
}
export interface ProvisionReport {
  hosts: HostReport[];
}

/** The --json document of status.ts. */
export interface StatusReport {
  stateDir: string;
  hosts: { host: string; stages: { id: string; status: string; attempts: number; changed: boolean | null; error: StageReport['error'] }[] }[];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts a script of workflows/ with Node 24 (this process's node), as a person would. */
export function spawnCli(script: 'provision' | 'teardown' | 'status' | 'report', args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [join(REPO, 'workflows', `${script}.ts`), ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output; kills it (by its pid) if it outlives `timeoutMs`. */
export function finished(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function runCli(script: 'provision' | 'teardown' | 'status' | 'report', args: readonly string[], timeoutMs = 180_000): Promise<CliResult> {
  return finished(spawnCli(script, args), timeoutMs);
}

/** The arguments of a controller run over SSH against node1 of `lab`. */
export function provisionArgs(lab: Lab, ...extra: string[]): string[] {
  return ['--inventory', lab.info.inventoryPath, '--host', NODE, '--state-dir', lab.stateDir, '--json', ...extra];
}

export function onlyWithoutBenchmark(): string[] {
  return ['--only', WITHOUT_BENCHMARK.join(',')];
}

/** Parses a --json document; fails with the CLI's stderr when there is none. */
export function jsonOf<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`no JSON on stdout (exit ${result.code}, signal ${result.signal}); stderr:\n${result.stderr.slice(-4000)}`);
  }
}

export function hostReport(result: CliResult): HostReport {
  const report = jsonOf<ProvisionReport>(result).hosts.find((h) => h.host === NODE);
  if (!report) throw new Error(`the --json report has no ${NODE}:\n${result.stdout}`);
  return report;
}

export function stageOf(report: HostReport, id: string): StageReport {
  const stage = report.stages.find((s) => s.id === id);
  if (!stage) throw new Error(`the report has no stage ${id}: ${report.stages.map((s) => s.id).join(', ')}`);
  return stage;
}

/** What a failed or surprising run says, for assertion messages. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout:\n${result.stdout.slice(-6000)}\nstderr:\n${result.stderr.slice(-3000)}`;
}

/** The checkpoint file as it is on disk now (undefined before the first write). */
export function readCheckpointFile(stateDir: string): HostCheckpoint | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'hosts', NODE, 'checkpoint.json'), 'utf8')) as HostCheckpoint;
  } catch {
    return undefined;
  }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

// --- reading the node ----------------------------------------------------------------------

/**
 * Runs argv on the lab node (lab.plan) in its namespaces, as root, like labExec (not over SSH). Not labExec itself:
 * labExec always pipes stdin and has no 'error' listener on it, so a command that exits before
 * the (empty) input is written raises an uncaught EPIPE in the test process (about 2 % of calls,
 * measured here); this keeps stdin closed unless there is input, and handles its errors.
 */
export async function execOnNode(lab: Lab, argv: readonly string[], input?: string): Promise<ExecResult> {
  // Like labExec: not before the node's mounts are in place in this boot.
  const init = await mountedInit(lab.dir, lab.plan.name, 30_000);
  const child = spawn('nsenter', ['-t', String(init.pid), '-m', '-u', '-i', '-n', '-p', '-C', '-T', '--', ...argv], {
    env: { PATH: NODE_PATH, HOME: '/root', LANG: 'C.UTF-8' },
    cwd: '/',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {});
  child.stdin?.end(input);
  return finished(child, 120_000).then((r) => ({ code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr }));
}

/** Runs argv on the lab node; throws with its output unless it exits 0. */
export async function onNode(lab: Lab, argv: readonly string[], input?: string): Promise<string> {
  const r = await execOnNode(lab, argv, input);
  if (r.code !== 0) throw new Error(`on ${lab.plan.name}: ${argv.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export async function bootId(lab: Lab): Promise<string> {
  return (await onNode(lab, ['cat', '/proc/sys/kernel/random/boot_id'])).trim();
}

/** How many times the lab node has booted since the lab came up (the lab's power record). */
export function bootCount(lab: Lab): number {
  return nodePower(lab.dir, lab.plan.name)?.boots ?? 0;
}

/** The VF table of `pf` from the text of `ip link show PF` on the node, read by the tool's parser. */
export async function vfTable(lab: Lab, pf: string) {
  const link = findLink(parseIpLink(await onNode(lab, ['ip', 'link', 'show', pf])), pf);
  return [...(link?.vfs ?? [])].sort((a, b) => a.vf - b.vf);
}

/**
 * The MACs of the VFs of `pf` in VF order, from the text of `ip link show PF` on the node: every
 * flavour prints it (CentOS 7's iproute 4.11 has no -j), read by the tool's parser of real samples.
 */
export async function vfMacs(lab: Lab, pf: string): Promise<string[]> {
  const link = findLink(parseIpLink(await onNode(lab, ['ip', 'link', 'show', pf])), pf);
  return [...(link?.vfs ?? [])].sort((a, b) => a.vf - b.vf).map((v) => v.mac);
}

/** The planned MACs of every PF, from the inventory. */
export function plannedMacs(plan: HostPlan): Record<string, string[]> {
  return Object.fromEntries(plan.pfs.map((pf) => [pf.name, pf.macs]));
}

export async function allVfMacs(lab: Lab): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const pf of lab.plan.pfs) out[pf.name] = await vfMacs(lab, pf.name);
  return out;
}

/** Netdev name → MAC in the node's own network namespace. */
export async function nodeNetdevMacs(lab: Lab): Promise<Map<string, string>> {
  const links = parseIpLink(await onNode(lab, ['ip', 'link', 'show']));
  return new Map(links.map((l) => [l.ifname, (l.address ?? '').toLowerCase()]));
}

/** Netdev name → MAC inside a container (busybox has no `ip -j`: read sysfs). */
export async function containerNetdevMacs(lab: Lab, container: string): Promise<Map<string, string>> {
  const out = await onNode(lab, ['lxc-attach', '-n', container, '--', 'sh', '-c', 'for d in /sys/class/net/*; do echo "${d##*/} $(cat "$d/address")"; done']);
  return new Map(out.trim().split('\n').map((l) => l.split(' ') as [string, string]).map(([n, m]) => [n, m.toLowerCase()]));
}

/**
 * A fingerprint of what provisioning changes on a node: every file and directory under `paths`
 * with its type, mode and content hash (missing paths listed as such).
 */
export async function nodeFiles(lab: Lab, paths: readonly string[]): Promise<string> {
  const script =
    'for p in "$@"; do [ -e "$p" ] || { echo "missing $p"; continue; }; ' +
    'find "$p" -printf "%y %m %p -> %l\\n" | sort; ' +
    'find "$p" -type f -exec sha256sum {} + | sort -k2; done';
  return onNode(lab, ['sh', '-c', script, 'sh', ...paths]);
}

/**
 * The node as provisioning leaves it, read on the node itself and compared with the plan:
 * VFs with the planned MACs, containers running with their VF and reaching the peer, modules,
 * hugepages and the kernel cmdline.
 */
export async function assertProvisioned(t: ExecutionContext, lab: Lab): Promise<void> {
  const { plan } = lab;
  const planned = plannedMacs(plan);
  t.deepEqual(await allVfMacs(lab), planned, 'the VF table of each PF (ip link show): the planned VFs with the inventory MACs');

  const hostNetdevs = await nodeNetdevMacs(lab);
  for (const c of plan.containers) {
    // LXC 1.0 (centos7) prints the state alone, later releases "State: RUNNING"
    t.regex((await onNode(lab, ['lxc-info', '-n', c.name, '-s'])).trim().replace(/\s+/g, ' '), /^(State: )?RUNNING$/, `${c.name} runs`);
    const mac = planned[c.vf.pf]?.[c.vf.index];
    const inside = await containerNetdevMacs(lab, c.name);
    const vf = [...inside].find(([, m]) => m === mac)?.[0];
    t.truthy(vf, `${c.name} has its VF (${c.vf.pf} VF ${c.vf.index}, ${mac}) inside; it has ${[...inside].map(([n, m]) => `${n} ${m}`).join(', ')}`);
    t.false([...hostNetdevs.values()].includes(mac!), `the VF ${mac} has left the node's namespace for ${c.name}`);
    if (vf && c.address) {
      const addr = await onNode(lab, ['lxc-attach', '-n', c.name, '--', 'ip', 'addr', 'show', 'dev', vf]);
      t.true(addr.includes(`inet ${c.address} `), `${c.name}'s ${vf} has ${c.address}:\n${addr}`);
    }
    const ping = await execOnNode(lab, ['lxc-attach', '-n', c.name, '--', 'ping', '-c1', '-W2', lab.info.peerAddress]);
    t.is(ping.code, 0, `${c.name} reaches the peer ${lab.info.peerAddress}:\n${ping.stdout}${ping.stderr}`);
  }

  const modules = await onNode(lab, ['sh', '-c', 'cat /etc/modules-load.d/*.conf']);
  const moduleLines = modules.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const pfAt = moduleLines.indexOf(plan.driver.pfModule);
  const vfAt = moduleLines.indexOf(plan.driver.vfModule);
  // mlx5_core drives its VFs itself: one line
  t.true(pfAt >= 0 && (vfAt > pfAt || plan.driver.vfModule === plan.driver.pfModule), `modules-load.d loads ${plan.driver.pfModule} before ${plan.driver.vfModule}:\n${modules}`);

  const huge = plan.hugepages;
  if (!huge) throw new Error(`the inventory ${lab.info.inventoryPath} plans no huge pages for ${lab.plan.name}`);
  const sysctl = await onNode(lab, ['sh', '-c', 'cat /etc/sysctl.d/*.conf']);
  t.regex(sysctl, new RegExp(`^\\s*vm\\.nr_hugepages\\s*=\\s*${huge.count}\\s*$`, 'm'), 'sysctl.d reserves the planned huge pages');
  t.is((await onNode(lab, ['cat', '/proc/sys/vm/nr_hugepages'])).trim(), String(huge.count), 'the huge pages are reserved now');

  const mount = huge.mount;
  const fstab = await onNode(lab, ['cat', '/etc/fstab']);
  const fstabLine = fstab.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[1] === mount && f[2] === 'hugetlbfs');
  t.truthy(fstabLine, `/etc/fstab mounts hugetlbfs on ${mount}:\n${fstab}`);
  t.true(fstabLine?.[3]?.split(',').includes(`pagesize=${huge.size}`), `the fstab line asks for ${huge.size} pages: ${fstabLine?.join(' ')}`);
  const mounts = await onNode(lab, ['cat', '/proc/mounts']);
  t.true(mounts.split('\n').some((l) => l.split(' ')[1] === mount && l.split(' ')[2] === 'hugetlbfs'), `hugetlbfs is mounted on ${mount}`);

  const cmdline = (await onNode(lab, ['cat', '/proc/cmdline'])).trim().split(/\s+/);
  t.deepEqual(plan.kernelParams.filter((p) => !cmdline.includes(p)), [], `/proc/cmdline has the planned params: ${cmdline.join(' ')}`);
}
